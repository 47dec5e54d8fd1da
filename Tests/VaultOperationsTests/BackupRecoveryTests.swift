import Foundation
import Testing
import VaultCodecs
import VaultRepository
import VaultStorage
import VaultTestSupport
@testable import VaultOperations

/// Backups after damage: a lost pack, a damaged index file, packs and
/// temporary files that an interrupted backup left behind.
@Suite("backup: recovery from lost and orphan data")
struct BackupRecoveryTests {
    /// Writes three files of random data (several chunks and packs).
    static func writeSource(_ fixture: BackupFixture) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for (number, name) in ["a.bin", "b.bin", "sub/c.bin"].enumerated() {
            let bytes = pseudoRandomBytes(count: 900_000, seed: UInt64(40 + number))
            try fixture.write(name, bytes)
            files[name] = bytes
        }
        return files
    }

    /// Restores a snapshot and returns the restored files' contents by path relative to the source.
    static func restoredFiles(_ fixture: BackupFixture, snapshot: SnapshotID, names: some Sequence<String>) async throws -> (problems: [String], files: [String: [UInt8]]) {
        let target = fixture.directory.appending("restore-\(snapshot.shortHex)-\(UUID().uuidString.prefix(8))")
        let options = RestoreOptions(snapshot: try SnapshotReference(parsing: snapshot.hex), target: target)
        let result = try await Restore(repository: fixture.repository, options: options).run()
        var files: [String: [UInt8]] = [:]
        for name in names {
            files[name] = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: target + fixture.source + "/" + name))))
        }
        return (result.problems.map(\.message), files)
    }

    /// The local path of a pack.
    static func packPath(_ fixture: BackupFixture, _ pack: PackID) -> String {
        fixture.directory.appending("repo/data/\(pack.hex.prefix(2))/\(pack.hex)")
    }

    @Test("after a pack is lost, incremental and full backups store its data again and restore", arguments: [SnapshotKind.incremental, .full])
    func lostPack(kind: SnapshotKind) async throws {
        let fixture = try await BackupFixture(encrypted: true)
        let files = try Self.writeSource(fixture)
        _ = try await fixture.backup(.full)
        let index = try await fixture.repository.loadIndex()
        let chunk = try #require(try await fixture.nodes(in: try await fixture.repository.snapshots()[0].manifest)["a.bin"]?.content.first)
        let lost = try #require(index.chunks.location(of: .data(chunk))).pack
        try FileManager.default.removeItem(atPath: Self.packPath(fixture, lost))

        let second = try await fixture.backup(kind)
        #expect(second.manifest.summary.blobsAdded > 0, "the lost blobs were stored again")
        let restored = try await Self.restoredFiles(fixture, snapshot: second.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
        // The lost blobs are stored again, so the first snapshot is whole again too.
        let report = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
        #expect(report.findingSummaries == ["blob-duplicated repository", "pack-missing pack \(lost.shortHex)"])
        #expect(report.affected.isEmpty)
        let first = try await fixture.repository.snapshots()[0].id
        let restoredFirst = try await Self.restoredFiles(fixture, snapshot: first, names: files.keys)
        #expect(restoredFirst.problems == [])
        #expect(restoredFirst.files == files)
    }

    @Test("packs an interrupted backup left unindexed are checked, indexed and reused by the next backup")
    func orphanPacksAdopted() async throws {
        let fixture = try await BackupFixture(encrypted: true)
        let files = try Self.writeSource(fixture)
        let indexBefore = Set(try await fixture.repository.list(.index).map(\.name))
        let first = try await fixture.backup(.full)
        // Undo the index files and the snapshot: what a backup killed after storing its packs leaves.
        for name in try await fixture.repository.list(.index).map(\.name) where !indexBefore.contains(name) {
            try await fixture.repository.storage.delete(name)
        }
        try await fixture.repository.storage.delete(try ObjectName(kind: .snapshots, name: first.snapshotID.hex))
        let orphans = try await fixture.repository.list(.data).count
        #expect(try await fixture.repository.loadIndex().chunks.isEmpty)

        let second = try await fixture.backup(.full)
        // Every chunk came from the orphan packs; only trees of changed ancestors (`/tmp`) may be new.
        #expect(second.manifest.summary.bytesAdded < 50_000, "\(second.manifest.summary.bytesAdded) bytes added")
        #expect(try await fixture.repository.list(.data).count <= orphans + 1)
        let report = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
        #expect(report.findingSummaries == [])
        #expect(report.statistics.unindexedPacks == 0)
        let restored = try await Self.restoredFiles(fixture, snapshot: second.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
    }

    @Test("a damaged orphan pack is not reused: its data is stored again")
    func damagedOrphanRejected() async throws {
        let fixture = try await BackupFixture(encrypted: false)
        let files = try Self.writeSource(fixture)
        let first = try await fixture.backup(.full)
        for name in try await fixture.repository.list(.index).map(\.name) {
            try await fixture.repository.storage.delete(name)
        }
        try await fixture.repository.storage.delete(try ObjectName(kind: .snapshots, name: first.snapshotID.hex))
        // Damage a blob in the middle of every orphan pack (the headers stay intact).
        for info in try await fixture.repository.list(.data) {
            let path = fixture.directory.appending("repo/data/\(info.name.name.prefix(2))/\(info.name.name)")
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 3] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let second = try await fixture.backup(.full)
        #expect(second.manifest.summary.blobsAdded > 0)
        let restored = try await Self.restoredFiles(fixture, snapshot: second.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
    }

    @Test("a damaged index file does not stop a backup, and the new snapshot restores")
    func damagedIndexFile() async throws {
        let fixture = try await BackupFixture(encrypted: true)
        let files = try Self.writeSource(fixture)
        _ = try await fixture.backup(.full)
        let indexFiles = try await fixture.repository.list(.index)
        try #require(indexFiles.count == 1)
        let path = fixture.directory.appending("repo/index/\(indexFiles[0].name.name)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let loaded = try await fixture.repository.loadIndex()
        #expect(loaded.damagedFiles.map(\.id.hex) == [indexFiles[0].name.name])
        let second = try await fixture.backup(.incremental)
        let restored = try await Self.restoredFiles(fixture, snapshot: second.snapshotID, names: files.keys)
        #expect(restored.problems == [])
        #expect(restored.files == files)
    }

    @Test("the next backup removes temporary files older than an hour and keeps fresh ones")
    func staleTemporaryFiles() async throws {
        let fixture = try await BackupFixture(encrypted: false)
        _ = try Self.writeSource(fixture)
        let folder = fixture.directory.appending("repo/data/ab")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stale = folder + "/.tmp-00000000000000aa"
        let fresh = folder + "/.tmp-00000000000000bb"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stale))
        try Data([4, 5, 6]).write(to: URL(fileURLWithPath: fresh))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale)

        _ = try await fixture.backup(.full)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: fresh))
    }
}
