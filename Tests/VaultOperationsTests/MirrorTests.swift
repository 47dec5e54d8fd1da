import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage
import VaultStorageTesting

/// Every object of a storage with its SHA-256, for comparing two repositories object by object.
func objectDigests(_ storage: any Storage) async throws -> [String: Digest256] {
    var result: [String: Digest256] = [:]
    for kind in ObjectKind.allCases where kind != .locks {
        if kind == .config {
            if try await storage.exists(.config) {
                result["config"] = SHA256Hasher.hash(try await storage.get(.config))
            }
            continue
        }
        for info in try await storage.listAll(kind) {
            result[info.name.description] = SHA256Hasher.hash(try await storage.get(info.name))
        }
    }
    return result
}

@Suite("Mirror")
struct MirrorTests {
    /// A repository with two snapshots and a place for its mirror.
    struct Setup {
        let fixture: BackupFixture
        let destinationPath: String

        init() async throws {
            fixture = try await BackupFixture()
            try fixture.write("a.bin", pseudoRandomBytes(count: 2 << 20, seed: 1))
            try fixture.write("b.txt", "bravo")
            _ = try await fixture.backup(.full)
            destinationPath = fixture.directory.appending("mirror")
        }

        func destination() async throws -> any Storage {
            try await RepositoryLocation(destinationPath).openMirrorDestination(create: true)
        }

        func mirror(_ options: RepositoryMirror.Options = .init(), to destination: (any Storage)? = nil) async throws -> RepositoryMirror.Summary {
            let target: any Storage
            if let destination { target = destination } else { target = try await self.destination() }
            return try await RepositoryMirror(source: fixture.repository, destination: target, options: options).run()
        }
    }

    @Test("the first mirror copies every object; the mirror opens on its own and restores the same data")
    func firstMirror() async throws {
        let setup = try await Setup()
        let summary = try await setup.mirror()
        #expect(summary.copied[.config] == 1)
        #expect(summary.copied[.keys] == 1)
        #expect(summary.copied[.snapshots] == 1)
        #expect((summary.copied[.data] ?? 0) >= 2)
        let destination = try await setup.destination()
        #expect(try await objectDigests(destination) == objectDigests(setup.fixture.repository.storage))
        let mirrored = try await Repository.open(destination) { "pw" }
        #expect(mirrored.config == setup.fixture.repository.config)
        let snapshots = try await mirrored.snapshots()
        #expect(snapshots.count == 1)
    }

    @Test("a second mirror copies only what is new, and a third copies nothing")
    func incremental() async throws {
        let setup = try await Setup()
        _ = try await setup.mirror()
        try setup.fixture.write("c.bin", pseudoRandomBytes(count: 1 << 20, seed: 2))
        _ = try await setup.fixture.backup()
        let second = try await setup.mirror()
        #expect(second.copied[.snapshots] == 1)
        #expect(second.copied[.keys] == nil && second.copied[.config] == nil)
        #expect(second.unchanged > 0)
        let third = try await setup.mirror()
        #expect(third.totalCopied == 0)
        #expect(try await objectDigests(setup.destination()) == objectDigests(setup.fixture.repository.storage))
    }

    @Test("a mirror that fails at any put resumes on the next run and ends identical; every partial mirror verifies without damage")
    func resumesAfterFailure() async throws {
        // Count the puts of a whole mirror.
        let counting = try await Setup()
        let counter = StorageFaults()
        _ = try await counting.mirror(to: FaultyStorage(try await counting.destination(), faults: counter))
        let puts = counter.count(.put)
        let source = try await objectDigests(counting.fixture.repository.storage)
        // The mirror locks its destination first (one put), then copies each object once.
        let lockPuts = 1
        #expect(puts == source.count + lockPuts, "one put for the lock, then one per object")
        try #require(puts >= 5)

        var opened = 0
        for failAfter in 0..<puts {
            let setup = try await Setup()
            let faults = StorageFaults()
            faults.fail([.put], from: failAfter + 1, with: StorageError(.io, name: nil, message: "injected failure"))
            let failing = FaultyStorage(try await setup.destination(), faults: faults)
            await #expect(throws: (any Error).self, "failing after \(failAfter) puts") { _ = try await setup.mirror(to: failing) }
            let partial = try await objectDigests(try await setup.destination())
            let sourceObjects = try await objectDigests(setup.fixture.repository.storage)
            #expect(partial.count == max(0, failAfter - lockPuts), "exactly the object puts that succeeded are there")
            // Everything copied is byte-identical to the source.
            #expect(partial.allSatisfy { sourceObjects[$0.key] == $0.value })
            // A snapshot only after all packs and index files (never reached: snapshots go last).
            if partial.keys.contains(where: { $0.hasPrefix("snapshots/") }) {
                #expect(sourceObjects.keys.filter { $0.hasPrefix("data/") || $0.hasPrefix("index/") }.allSatisfy { partial[$0] != nil })
            }
            // Once it has its config and keys, the partial mirror opens and verifies, reading every pack, without damage.
            if partial["config"] != nil {
                let mirrored = try await Repository.open(try await setup.destination()) { "pw" }
                let report = try await RepositoryVerifier(repository: mirrored, readData: .all).run()
                #expect(!report.hasDamage, "failing after \(failAfter) puts: \(report.findings)")
                opened += 1
            }
            _ = try await setup.mirror()
            #expect(try await objectDigests(setup.destination()) == sourceObjects, "failing after \(failAfter) puts")
        }
        #expect(opened >= puts - lockPuts - 2, "the partial mirrors were opened and verified")
    }

    @Test("a damaged source pack is not copied and is reported")
    func damagedSourcePack() async throws {
        let setup = try await Setup()
        let pack = try #require(try await setup.fixture.repository.list(.data).first?.name)
        let path = setup.fixture.directory.appending("repo/data/\(pack.name.prefix(2))/\(pack.name)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[10] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let summary = try await setup.mirror()
        #expect(summary.damagedInSource == [pack])
        #expect(try await setup.destination().exists(pack) == false)
        // The mirror holds every other object of the source, byte for byte, and nothing else.
        var expected = try await objectDigests(setup.fixture.repository.storage)
        expected[pack.description] = nil
        #expect(try await objectDigests(setup.destination()) == expected)
        // A verify of the mirror names the missing pack as damage.
        let mirrored = try await Repository.open(try setup.destination()) { "pw" }
        let report = try await RepositoryVerifier(repository: mirrored, readData: .none).run()
        #expect(report.hasDamage)
        #expect(report.findings.contains { "\($0.object)".contains(pack.name.prefix(8)) }, "\(report.findings)")
    }

    @Test("a mirror holding a different repository is refused")
    func differentRepository() async throws {
        let setup = try await Setup()
        let other = try await BackupFixture()
        _ = try await RepositoryMirror(source: other.repository, destination: setup.destination()).run()
        let error = try await #require(throws: OperationError.self) { _ = try await setup.mirror() }
        #expect(error.code == .targetFailed)
        #expect(error.message.contains("different repository"))
    }

    @Test("a mirror holding snapshots the source lacks is refused; --delete removes them")
    func unknownSnapshots() async throws {
        let setup = try await Setup()
        _ = try await setup.mirror()
        // Something backed up into the mirror directly.
        let mirrored = try await Repository.open(try await setup.destination()) { "pw" }
        var options = BackupOptions(paths: [setup.fixture.source])
        options.kind = .full
        options.host = "elsewhere"
        _ = try await Backup(repository: mirrored, options: options).run()
        let error = try await #require(throws: OperationError.self) { _ = try await setup.mirror() }
        #expect(error.message.contains("snapshot the source does not know"))

        var deleting = RepositoryMirror.Options()
        deleting.delete = true
        let summary = try await setup.mirror(deleting)
        #expect(summary.deleted[.snapshots] == 1)
        #expect(try await objectDigests(setup.destination()) == objectDigests(setup.fixture.repository.storage))
    }

    @Test("deletions reach the mirror only with --delete, and only after the check passes")
    func deletions() async throws {
        let setup = try await Setup()
        _ = try await setup.mirror()
        // Forget the snapshot in the source: without --delete the mirror refuses rather than guess.
        let snapshot = try #require(try await setup.fixture.repository.list(.snapshots).first?.name)
        try await setup.fixture.repository.storage.delete(snapshot)
        let refused = try await #require(throws: OperationError.self) { _ = try await setup.mirror() }
        #expect(refused.message.contains("--delete"))
        #expect(try await setup.destination().exists(snapshot))

        var deleting = RepositoryMirror.Options()
        deleting.delete = true
        struct SourceDamaged: Error {}
        await #expect(throws: SourceDamaged.self) {
            _ = try await RepositoryMirror(source: setup.fixture.repository, destination: setup.destination(), options: deleting)
                .run(beforeDeleting: { throw SourceDamaged() })
        }
        #expect(try await setup.destination().exists(snapshot), "a failed check removes nothing")
        let summary = try await setup.mirror(deleting)
        #expect(summary.deleted[.snapshots] == 1)
        #expect(try await setup.destination().exists(snapshot) == false)
    }

    @Test("a dry run copies and removes nothing but reports what it would do")
    func dryRun() async throws {
        let setup = try await Setup()
        var options = RepositoryMirror.Options()
        options.dryRun = true
        let summary = try await setup.mirror(options)
        #expect(summary.totalCopied > 0)
        #expect(try await setup.destination().listAll(.data).isEmpty)
        #expect(try await setup.destination().exists(.config) == false)
    }

    @Test("a missing destination is refused without --create; a folder of other files is refused")
    func destinationChecks() async throws {
        let setup = try await Setup()
        let missing = setup.fixture.directory.appending("unplugged")
        let error = try await #require(throws: OperationError.self) { _ = try await RepositoryLocation(missing).openMirrorDestination(create: false) }
        #expect(error.message.contains("--create"))
        #expect(!FileManager.default.fileExists(atPath: missing))

        let photos = setup.fixture.directory.appending("photos")
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: false)
        try "jpeg".write(toFile: photos + "/holiday.jpg", atomically: false, encoding: .utf8)
        let refused = try await #require(throws: OperationError.self) { _ = try await RepositoryLocation(photos).openMirrorDestination(create: true) }
        #expect(refused.message.contains("holiday.jpg"))
    }
}
