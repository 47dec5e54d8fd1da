import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultStorage
import VaultStorageTesting

/// A backup whose storage fails (a full disk, a pulled cable) at any write
/// leaves the repository as it was: no snapshot, nothing damaged, and the
/// earlier snapshot restores bit-exact (issue 17, "Add").
@Suite("Backup: storage failing at every write")
struct BackupFaultTests {
    /// Snapshot A of `{a.bin, b.txt}`, then a changed source for backup B.
    struct Setup {
        let fixture: BackupFixture
        let snapshotA: SnapshotID
        let filesA: [String: [UInt8]]

        init() async throws {
            fixture = try await BackupFixture()
            filesA = ["a.bin": pseudoRandomBytes(count: 1_500_000, seed: 1), "b.txt": Array("bravo".utf8)]
            for (name, bytes) in filesA { try fixture.write(name, bytes) }
            snapshotA = try await fixture.backup(.full).snapshotID
            try fixture.write("c.bin", pseudoRandomBytes(count: 2_500_000, seed: 2))
            try fixture.write("b.txt", "bravo, changed")
        }

        /// Runs backup B on storage that fails after `failAfter` puts.
        func backup(failAfter: Int) async throws -> (result: BackupResult?, error: (any Error)?, puts: Int) {
            let faults = StorageFaults()
            if failAfter < Int.max {
                faults.fail([.put], from: failAfter + 1, with: StorageError(.io, name: nil, message: "injected failure: the disk is full"))
            }
            let failing = FaultyStorage(fixture.repository.storage, faults: faults)
            let repository = try await Repository.open(failing) { "pw" }
            var options = BackupOptions(paths: [fixture.source])
            options.kind = .incremental
            do {
                let result = try await Backup(repository: repository, options: options).run()
                return (result, nil, faults.count(.put))
            } catch {
                return (nil, error, faults.count(.put))
            }
        }
    }

    @Test("a backup failing at each write N throws, writes no snapshot, leaves no damage, and snapshot A restores bit-exact")
    func failingAtEveryWrite() async throws {
        // How many writes a whole backup B makes.
        let counting = try await Setup()
        let complete = try await counting.backup(failAfter: Int.max)
        try #require(complete.result != nil, "\(String(describing: complete.error))")
        let writes = complete.puts
        try #require(writes >= 4, "a lock, data packs, a tree pack, an index file, a snapshot")

        for failAfter in 0..<writes {
            let setup = try await Setup()
            let outcome = try await setup.backup(failAfter: failAfter)
            #expect(outcome.result == nil, "failing after \(failAfter) of \(writes) writes, the backup must fail")
            #expect(outcome.error != nil)
            let repository = setup.fixture.repository
            #expect(try await repository.snapshots().map(\.id) == [setup.snapshotA], "failing after \(failAfter): no new snapshot")
            let report = try await RepositoryVerifier(repository: repository, readData: .all).run()
            #expect(!report.hasDamage, "failing after \(failAfter): \(report.findings)")

            let target = setup.fixture.directory.appending("restored-\(failAfter)")
            var options = RestoreOptions(snapshot: try SnapshotReference(parsing: "\(setup.snapshotA.hex):\(setup.fixture.source)"), target: target)
            options.verifies = true
            let restored = try await Restore(repository: repository, options: options).run()
            #expect(restored.isComplete, "\(restored.problems)")
            var files: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: target) {
                files[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: target + "/" + name)))
            }
            #expect(files == setup.filesA, "failing after \(failAfter)")

            // The next backup on healthy storage completes and is restorable.
            let next = try await setup.fixture.backup(.incremental)
            #expect(try await setup.fixture.files(of: next.manifest)["c.bin"] == pseudoRandomBytes(count: 2_500_000, seed: 2))
        }
    }
}
