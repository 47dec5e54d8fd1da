import Foundation
import Testing
import VaultCodecs
import VaultRepository
import VaultStorage
import VaultTestSupport
@testable import VaultOperations

/// `vault repair index` and `vault repair snapshots`: one damaged index or
/// snapshot file never blocks the rest, and the repair commands clear it.
@Suite("repair: index and snapshots")
struct RepairIndexAndSnapshotsTests {
    /// Flips one byte in the middle of a file.
    static func flipByte(_ path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func indexPath(_ fixture: BackupFixture, _ name: String) -> String {
        fixture.directory.appending("repo/index/\(name)")
    }

    @Test("a damaged index file: verify names repair index, which rebuilds from the pack headers, then all verifies and restores", arguments: [true, false])
    func damagedIndexFile(encrypted: Bool) async throws {
        let fixture = try await BackupFixture(encrypted: encrypted)
        let files = try BackupRecoveryTests.writeSource(fixture)
        let first = try await fixture.backup(.full)
        let indexFiles = try await fixture.repository.list(.index).map(\.name.name)
        try #require(indexFiles.count == 1)
        try Self.flipByte(Self.indexPath(fixture, indexFiles[0]))
        let before = try await RepositoryVerifier(repository: fixture.repository).run()
        #expect(before.findings.contains { $0.kind == .indexDamaged && $0.message.contains("'vault repair index' rebuilds the index") })
        // Before the repair, the pack headers stand in for the damaged index file.
        let loaded = try await fixture.repository.loadIndex()
        #expect(loaded.packsFromHeaders.count == (try await fixture.repository.list(.data).count))
        let readable = try await BackupRecoveryTests.restoredFiles(fixture, snapshot: first.snapshotID, names: files.keys)
        #expect(readable.problems == [])
        #expect(readable.files == files)

        let outcome = try await IndexRebuild(repository: fixture.repository).run()
        #expect(outcome.damagedIndexFiles.map(\.hex) == indexFiles)
        #expect(outcome.removedIndexFiles.map(\.hex) == indexFiles)
        #expect(outcome.unreadablePacks.isEmpty)
        #expect(outcome.packsFromHeaders.count == outcome.packs)
        #expect(outcome.packs == (try await fixture.repository.list(.data).count))
        #expect(try await fixture.repository.list(.index).map(\.name.name) == [try #require(outcome.newIndexFile).hex])

        let after = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
        #expect(after.findingSummaries == [])
        let restored = try await BackupRecoveryTests.restoredFiles(fixture, snapshot: first.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
    }

    @Test("repair index keeps good index records, indexes orphan packs, and leaves out a pack whose header is gone")
    func orphansAndBadHeaders() async throws {
        let fixture = try await BackupFixture(encrypted: true)
        let files = try BackupRecoveryTests.writeSource(fixture)
        let first = try await fixture.backup(.full)
        try fixture.write("later.bin", pseudoRandomBytes(count: 300_000, seed: 99))
        let indexBefore = Set(try await fixture.repository.list(.index).map(\.name))
        let second = try await fixture.backup(.full)
        // The second backup's index file is lost: its packs are orphans.
        for name in try await fixture.repository.list(.index).map(\.name) where !indexBefore.contains(name) {
            try await fixture.repository.storage.delete(name)
        }
        // A pack of the first backup loses its tail (header).
        let index = try await fixture.repository.loadIndex()
        let chunk = try #require(try await fixture.nodes(in: first.manifest)["b.bin"]?.content.last)
        let truncated = try #require(index.chunks.location(of: .data(chunk))).pack
        let path = BackupRecoveryTests.packPath(fixture, truncated)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: path))

        let outcome = try await IndexRebuild(repository: fixture.repository).run()
        #expect(outcome.unreadablePacks.map(\.id) == [truncated])
        #expect(outcome.damagedIndexFiles.isEmpty)
        // Orphans (and the truncated pack) were read from headers; the rest came from the index file.
        #expect(outcome.packsFromHeaders.count == outcome.packs - (index.packSizes.count - 1))
        let restored = try await BackupRecoveryTests.restoredFiles(fixture, snapshot: second.snapshotID, names: ["a.bin", "later.bin"])
        #expect(restored.files["later.bin"] == pseudoRandomBytes(count: 300_000, seed: 99))
        #expect(restored.files["a.bin"] == files["a.bin"])
        let report = try await RepositoryVerifier(repository: fixture.repository).run()
        #expect(report.findings.allSatisfy { $0.kind != .packUnindexed || $0.object == .pack(truncated) })
    }

    @Test("a damaged snapshot file: the others list, restore and back up; repair snapshots removes it only when asked")
    func damagedSnapshot() async throws {
        let fixture = try await BackupFixture(encrypted: true)
        let files = try BackupRecoveryTests.writeSource(fixture)
        let first = try await fixture.backup(.full)
        let second = try await fixture.backup(.incremental)
        try Self.flipByte(fixture.directory.appending("repo/snapshots/\(first.snapshotID.hex)"))

        let catalog = try await fixture.repository.snapshotCatalog()
        #expect(catalog.readable.map(\.id) == [second.snapshotID])
        #expect(catalog.damaged.map(\.id) == [first.snapshotID])
        let restored = try await BackupRecoveryTests.restoredFiles(fixture, snapshot: second.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
        let third = try await fixture.backup(.incremental)
        #expect(third.manifest.parent == second.snapshotID)
        let report = try await RepositoryVerifier(repository: fixture.repository).run()
        #expect(report.findings.map(\.message) == [
            "damaged: AES-256-GCM tag mismatch; its files cannot be listed: 'vault repair snapshots --forget-damaged' removes it",
        ] || report.findings.count == 1 && report.findings[0].message.hasSuffix("'vault repair snapshots --forget-damaged' removes it"))

        let listed = try await SnapshotRepair(repository: fixture.repository, forgetDamaged: false).run()
        #expect(listed.damaged.map(\.id) == [first.snapshotID])
        #expect(listed.removed.isEmpty)
        #expect(try await fixture.repository.snapshotCatalog().damaged.count == 1)

        let repaired = try await SnapshotRepair(repository: fixture.repository, forgetDamaged: true).run()
        #expect(repaired.removed == [first.snapshotID])
        let after = try await fixture.repository.snapshotCatalog()
        #expect(after.damaged.isEmpty)
        #expect(after.readable.map(\.id) == [second.snapshotID, third.snapshotID])
        #expect(try await RepositoryVerifier(repository: fixture.repository).run().findingSummaries == [])
    }
}
