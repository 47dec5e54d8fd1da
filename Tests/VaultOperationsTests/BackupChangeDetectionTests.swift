import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultPOSIX
import VaultRepository

/// How an incremental backup decides a file is unchanged (size, mtime,
/// ctime, inode and device), and which snapshot it compares with.
@Suite("Backup: change detection and parent selection")
struct BackupChangeDetectionTests {
    static func setModificationTime(_ path: String, to time: FileTime) throws {
        try FileSystem.setTimes(of: FilePath(path), access: time, modification: time)
    }

    @Test("a rewrite of the same size with the old mtime put back (only ctime differs) is read again")
    func ctimeOnly() async throws {
        let fixture = try await BackupFixture()
        let path = fixture.source + "/same-size.bin"
        try fixture.write("same-size.bin", pseudoRandomBytes(count: 100_000, seed: 1))
        try fixture.write("untouched.txt", "untouched")
        let time = FileTime(seconds: 1_600_000_000, nanoseconds: 123_456_789)
        try Self.setModificationTime(path, to: time)
        _ = try await fixture.backup(.full)

        try await Task.sleep(nanoseconds: 20_000_000)
        let before = try FileSystem.status(of: FilePath(path))
        let replacement = pseudoRandomBytes(count: 100_000, seed: 2)
        let file = try FileDescriptor.open(FilePath(path), .writeOnly)
        try replacement.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: 0, $0) }
        try file.close()
        try Self.setModificationTime(path, to: time)
        let after = try FileSystem.status(of: FilePath(path))
        try #require(after.size == before.size && after.modificationTime == before.modificationTime && after.inode == before.inode)
        try #require(after.changeTime != before.changeTime, "the rewrite must change the ctime")

        let incremental = try await fixture.backup(.incremental)
        #expect(incremental.manifest.kind == .incremental)
        #expect(incremental.manifest.summary.filesChanged == 1)
        #expect(incremental.manifest.summary.filesUnchanged == 1)
        #expect(try await fixture.files(of: incremental.manifest)["same-size.bin"] == replacement)
    }

    @Test("a file replaced by rename with the same size and mtime (a new inode) is read again")
    func inodeChanged() async throws {
        let fixture = try await BackupFixture()
        let time = FileTime(seconds: 1_600_000_000, nanoseconds: 0)
        try fixture.write("config.json", pseudoRandomBytes(count: 5000, seed: 3))
        try Self.setModificationTime(fixture.source + "/config.json", to: time)
        _ = try await fixture.backup(.full)

        let replacement = pseudoRandomBytes(count: 5000, seed: 4)
        try fixture.write(".config.json.new", replacement)
        try Self.setModificationTime(fixture.source + "/.config.json.new", to: time)
        let old = try FileSystem.status(of: FilePath(fixture.source + "/config.json"))
        try FileSystem.rename(FilePath(fixture.source + "/.config.json.new"), to: FilePath(fixture.source + "/config.json"))
        let new = try FileSystem.status(of: FilePath(fixture.source + "/config.json"))
        try #require(new.inode != old.inode && new.size == old.size && new.modificationTime == old.modificationTime)

        let incremental = try await fixture.backup(.incremental)
        #expect(incremental.manifest.summary.filesChanged == 1)
        #expect(try await fixture.files(of: incremental.manifest)["config.json"] == replacement)
    }

    @Test("parents and bases: after several full backups, and with another path set on the same host")
    func parentSelection() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("a.txt", "a")
        let other = fixture.directory.appending("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try Data("o".utf8).write(to: URL(fileURLWithPath: other + "/o.txt"))

        let full1 = try await fixture.backup(.full)
        let full2 = try await fixture.backup(.full)
        let incremental = try await fixture.backup(.incremental)
        #expect(incremental.manifest.parent == full2.snapshotID, "the latest snapshot of the path set")
        #expect(incremental.manifest.base == full2.snapshotID)
        #expect(full1.snapshotID != full2.snapshotID)

        // Another path set on the same host: its first backup is full, whatever was asked.
        var both = BackupOptions(paths: [fixture.source, other])
        both.kind = .incremental
        let otherSet = try await Backup(repository: fixture.repository, options: both).run()
        #expect(otherSet.manifest.kind == .full)
        #expect(otherSet.manifest.parent == nil)

        // Back to the first path set: the other set's newer snapshot is not its parent or base.
        try fixture.write("b.txt", "b")
        let differential = try await fixture.backup(.differential)
        #expect(differential.manifest.kind == .differential)
        #expect(differential.manifest.parent == full2.snapshotID)
        #expect(differential.manifest.base == full2.snapshotID)
        let next = try await fixture.backup(.incremental)
        #expect(next.manifest.parent == differential.snapshotID)
        #expect(next.manifest.base == full2.snapshotID)
        #expect(next.manifest.summary.filesUnchanged == 2)

        // Another host with the same paths starts its own chain.
        var elsewhere = BackupOptions(paths: [fixture.source])
        elsewhere.host = "another-host"
        let foreign = try await Backup(repository: fixture.repository, options: elsewhere).run()
        #expect(foreign.manifest.kind == .full && foreign.manifest.parent == nil)
    }
}
