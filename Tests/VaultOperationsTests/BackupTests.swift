import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultStorage

@Suite("Backup")
struct BackupTests {
    @Test("the first backup is full whatever is asked, and says so", arguments: [SnapshotKind.incremental, .differential, .full])
    func firstBackupIsFull(requested: SnapshotKind) async throws {
        let fixture = try await BackupFixture()
        try fixture.write("a.txt", "alpha")
        let result = try await fixture.backup(requested)
        #expect(result.manifest.kind == .full)
        #expect(result.manifest.parent == nil)
        #expect(result.manifest.base == nil)
        #expect((result.note != nil) == (requested != .full))
        #expect(result.manifest.summary.filesNew == 1)
    }

    @Test("full, incremental and differential snapshots of a changing tree each restore on their own")
    func kindsOverAChangingTree() async throws {
        let fixture = try await BackupFixture()
        let big = pseudoRandomBytes(count: 3 << 20, seed: 1)
        try fixture.write("big.bin", big)
        try fixture.write("docs/a.txt", "alpha")
        try fixture.write("docs/b.txt", "beta")
        let full = try await fixture.backup(.full)
        #expect(full.manifest.summary.filesNew == 3)
        #expect(full.manifest.summary.bytesRead == Int64(big.count + 9))

        // Change one file, add one, remove one.
        try await Task.sleep(nanoseconds: 10_000_000)
        try fixture.write("docs/a.txt", "alpha, changed")
        try fixture.write("docs/c.txt", "gamma")
        try FileManager.default.removeItem(atPath: fixture.source + "/docs/b.txt")
        let incremental = try await fixture.backup(.incremental)
        #expect(incremental.manifest.kind == .incremental)
        #expect(incremental.manifest.parent == full.snapshotID)
        #expect(incremental.manifest.base == full.snapshotID)
        let summary = incremental.manifest.summary
        #expect((summary.filesNew, summary.filesChanged, summary.filesUnchanged, summary.filesRemoved) == (1, 1, 1, 1))
        #expect(summary.bytesRead == Int64("alpha, changed".utf8.count + "gamma".utf8.count), "the unchanged 3 MiB file must not be read")

        // Another change: the differential compares with the full snapshot, so it reports both changes.
        try await Task.sleep(nanoseconds: 10_000_000)
        try fixture.write("docs/d.txt", "delta")
        let differential = try await fixture.backup(.differential)
        #expect(differential.manifest.kind == .differential)
        #expect(differential.manifest.parent == full.snapshotID)
        #expect(differential.manifest.base == full.snapshotID)
        let differentialSummary = differential.manifest.summary
        #expect((differentialSummary.filesNew, differentialSummary.filesChanged, differentialSummary.filesUnchanged, differentialSummary.filesRemoved) == (2, 1, 1, 1))

        // The next incremental's parent is the differential (the latest snapshot).
        let next = try await fixture.backup(.incremental)
        #expect(next.manifest.parent == differential.snapshotID)
        #expect(next.manifest.summary.bytesRead == 0)
        // Only trees can be added (other tests touch the parent folders in /tmp).
        #expect(next.manifest.summary.bytesAdded < 4096, "a no-change backup adds no data")

        let fullFiles = ["big.bin": big, "docs/a.txt": Array("alpha".utf8), "docs/b.txt": Array("beta".utf8)]
        let incrementalFiles = ["big.bin": big, "docs/a.txt": Array("alpha, changed".utf8), "docs/c.txt": Array("gamma".utf8)]
        let differentialFiles = [
            "big.bin": big, "docs/a.txt": Array("alpha, changed".utf8), "docs/c.txt": Array("gamma".utf8), "docs/d.txt": Array("delta".utf8),
        ]
        #expect(try await fixture.files(of: full.manifest) == fullFiles)
        #expect(try await fixture.files(of: incremental.manifest) == incrementalFiles)
        #expect(try await fixture.files(of: differential.manifest) == differentialFiles)
        #expect(try await fixture.files(of: next.manifest) == differentialFiles)
        // The same directory gives the same tree blob: stored once.
        let index = try await fixture.repository.loadIndex().chunks
        let sourcePath = Array(fixture.source.utf8)
        let nextSource = try #require(try await fixture.repository.node(at: sourcePath, root: next.manifest.tree, index: index))
        let differentialSource = try #require(try await fixture.repository.node(at: sourcePath, root: differential.manifest.tree, index: index))
        #expect(nextSource.subtree != nil)
        #expect(nextSource.subtree == differentialSource.subtree)

        // Every snapshot restores on its own: with the full snapshot (the
        // incremental's parent, the differential's base) gone, the others
        // still read back whole, through a fresh index load.
        try await fixture.repository.storage.delete(try ObjectName(kind: .snapshots, name: full.snapshotID.hex))
        #expect(try await fixture.repository.snapshots().map(\.id).contains(full.snapshotID) == false)
        #expect(try await fixture.files(of: incremental.manifest) == incrementalFiles)
        #expect(try await fixture.files(of: differential.manifest) == differentialFiles)
        #expect(try await fixture.files(of: next.manifest) == differentialFiles)
    }

    @Test("a full backup reads every file even when nothing changed")
    func fullReadsEverything() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("x", pseudoRandomBytes(count: 100_000, seed: 2))
        _ = try await fixture.backup(.full)
        let again = try await fixture.backup(.full)
        #expect(again.manifest.summary.bytesRead == 100_000)
        #expect(again.manifest.summary.filesUnchanged == 1)
        // No data is added; only trees can change (other tests touch the parent folders in /tmp).
        #expect(again.manifest.summary.bytesAdded < 4096)
    }

    @Test("data shared between files and snapshots is stored once")
    func deduplication() async throws {
        let fixture = try await BackupFixture()
        let data = pseudoRandomBytes(count: 2 << 20, seed: 3)
        try fixture.write("one", data)
        try fixture.write("two", data)
        let result = try await fixture.backup()
        #expect(result.manifest.summary.bytesRead == Int64(2 * data.count))
        #expect(result.manifest.summary.bytesAdded < Int64(data.count) + 100_000)
    }

    @Test("excludes by name and by path, exclude files, and cache directories")
    func excludes() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("keep.txt", "keep")
        try fixture.write("skip.tmp", "skip")
        try fixture.write("sub/node_modules/x.js", "x")
        try fixture.write("sub/keep.js", "k")
        try fixture.write("private/secret", "s")
        try fixture.write("cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n")
        try fixture.write("cache/blob", "cached")
        try fixture.write("notcache/CACHEDIR.TAG", "not the signature")
        try fixture.write("notcache/blob", "kept")
        try fixture.write("debug.log", "only the exclude file leaves this out")
        try fixture.write("sub/trace.log", "and this")
        let result = try await fixture.backup { options in
            try options.excludes.add("*.tmp")
            try options.excludes.add("node_modules")
            try options.excludes.add(fixture.source + "/private")
            try options.excludes.add(fileContents: "# comment\n\n*.nothing\n*.log\n")
            options.excludeCaches = true
        }
        #expect(try await fixture.files(of: result.manifest).keys.sorted() == [
            "cache/CACHEDIR.TAG", "keep.txt", "notcache/CACHEDIR.TAG", "notcache/blob", "sub/keep.js",
        ])
    }

    @Test("symlinks, fifos, hard links, empty files, xattrs and non-UTF-8 names are recorded")
    func specialEntries() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("target", "t")
        try fixture.write("empty", [])
        try FileManager.default.createSymbolicLink(atPath: fixture.source + "/link", withDestinationPath: "target")
        #expect(mkfifo(fixture.source + "/fifo", 0o600) == 0)
        #expect(link(fixture.source + "/target", fixture.source + "/hardlink") == 0)
        let oddName: [UInt8] = Array("odd ".utf8) + [0xFF, 0x0A] + Array("name".utf8)
        let oddPath = Array(fixture.source.utf8) + [UInt8(ascii: "/")] + oddName
        let descriptor = oddPath.withUnsafeBufferPointer { buffer in
            (Array(buffer) + [0]).withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o640) }
        }
        #expect(descriptor >= 0)
        close(descriptor)
        let xattrSet = try setUserAttribute(path: fixture.source + "/target", name: "user.vault", value: "v1")
        let result = try await fixture.backup()
        let nodes = try await fixture.nodes(in: result.manifest)
        #expect(nodes["link"]?.type == .symlink)
        #expect(nodes["link"]?.linkTarget == Array("target".utf8))
        #expect(nodes["fifo"]?.type == .fifo)
        #expect(nodes["empty"]?.type == .file)
        #expect(nodes["empty"]?.content == [])
        let target = try #require(nodes["target"])
        let hardlink = try #require(nodes["hardlink"])
        #expect(target.links == 2 && hardlink.links == 2)
        #expect(target.inode == hardlink.inode && target.device == hardlink.device)
        #expect(target.content == hardlink.content)
        let odd = try #require(nodes.values.first { $0.name == oddName })
        #expect(odd.mode == 0o640)
        if xattrSet {
            #expect(target.xattrs == [ExtendedAttribute(name: Array("user.vault".utf8), value: Array("v1".utf8))])
        } else {
            #expect(target.xattrs.isEmpty)
        }
    }

    @Test("standard input is stored as one file")
    func standardInput() async throws {
        let fixture = try await BackupFixture()
        let data = pseudoRandomBytes(count: 700_000, seed: 4)
        final class Reader: @unchecked Sendable {
            var remaining: ArraySlice<UInt8>
            init(_ data: [UInt8]) { remaining = data[...] }
        }
        let reader = Reader(data)
        let stream = StandardInputSource(fileName: "dump.sql") { buffer in
            let count = min(buffer.count, reader.remaining.count, 4096)
            reader.remaining.prefix(count).withUnsafeBytes { buffer.copyMemory(from: $0) }
            reader.remaining = reader.remaining.dropFirst(count)
            return count
        }
        let result = try await Backup(repository: fixture.repository, options: BackupOptions(paths: [])).run(stream: stream)
        #expect(result.manifest.paths == ["/dump.sql"])
        let index = try await fixture.repository.loadIndex().chunks
        let node = try #require(try await fixture.repository.node(at: Array("/dump.sql".utf8), root: result.manifest.tree, index: index))
        var bytes: [UInt8] = []
        for id in node.content {
            bytes += try await fixture.repository.loadBlob(id, at: try #require(index.location(of: .data(id))))
        }
        #expect(bytes == data)
        #expect(node.size == UInt64(data.count))
    }

    @Test("paths are normalized, nested ones dropped, and the snapshot mirrors them from /")
    func sourcePaths() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("a/x", "x")
        try fixture.write("b/y", "y")
        var options = BackupOptions(paths: [fixture.source + "/a/", fixture.source + "/a/../a/x", fixture.source + "/./b"])
        options.kind = .full
        let result = try await Backup(repository: fixture.repository, options: options).run()
        #expect(result.manifest.paths == [fixture.source + "/a", fixture.source + "/b"])
        let index = try await fixture.repository.loadIndex().chunks
        #expect(try await fixture.repository.node(at: Array((fixture.source + "/a/x").utf8), root: result.manifest.tree, index: index)?.size == 1)
        #expect(try await fixture.repository.node(at: Array((fixture.source + "/b/y").utf8), root: result.manifest.tree, index: index)?.size == 1)
    }

    @Test("a missing path is a warning and makes the snapshot incomplete; all missing is an error")
    func missingPaths() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("a", "a")
        var options = BackupOptions(paths: [fixture.source, fixture.directory.appending("missing")])
        options.kind = .full
        let result = try await Backup(repository: fixture.repository, options: options).run()
        #expect(result.manifest.incomplete)
        #expect(result.warnings.map(\.path) == [fixture.directory.appending("missing")])

        let error = try await #require(throws: OperationError.self) {
            _ = try await Backup(repository: fixture.repository, options: BackupOptions(paths: [fixture.directory.appending("missing")])).run()
        }
        #expect(error.code == .noSource)
    }

    @Test("an interrupted backup writes no snapshot, keeps the repository consistent, and the next one reuses what was stored")
    func interrupted() async throws {
        let fixture = try await BackupFixture()
        for index in 0..<8 {
            try fixture.write("file\(index)", pseudoRandomBytes(count: 1 << 20, seed: UInt64(10 + index)))
        }
        let interrupt = InterruptFlag()
        let bytesSeen = ByteCounter()
        var options = BackupOptions(paths: [fixture.source])
        options.kind = .full
        let backup = Backup(repository: fixture.repository, options: options, interrupt: interrupt) { progress in
            if progress.bytesRead >= 3 << 20 { interrupt.raise() }
            bytesSeen.value = progress.bytesRead
        }
        let error = try await #require(throws: OperationError.self) { _ = try await backup.run() }
        #expect(error.code == .interrupted)
        #expect(try await fixture.repository.list(.snapshots).isEmpty)
        #expect(try await fixture.repository.list(.locks).isEmpty)
        let stored = try await fixture.repository.loadIndex().chunks.count
        #expect(stored > 0, "what was read before the interruption is indexed")

        let complete = try await fixture.backup(.full)
        #expect(complete.manifest.summary.blobsAdded < 8 * 16 + 2, "blobs stored before the interruption are not stored again")
        // Nothing stored before the interruption is stored again, and nothing is lost from the index.
        let final = try await fixture.repository.loadIndex().chunks.count
        #expect(stored + Int(complete.manifest.summary.blobsAdded) == final, "\(stored) stored + \(complete.manifest.summary.blobsAdded) added != \(final)")
        var expected: [String: [UInt8]] = [:]
        for index in 0..<8 {
            expected["file\(index)"] = pseudoRandomBytes(count: 1 << 20, seed: UInt64(10 + index))
        }
        #expect(try await fixture.files(of: complete.manifest) == expected)
    }
}

/// A counter a progress callback may update.
final class ByteCounter: @unchecked Sendable {
    var value: Int64 = 0
}

/// Sets a `user.*` extended attribute through VaultPOSIX.
///
/// - Returns: Whether the file system took it. Under CI (`CI=true`) the
///   file system must take it: a test would otherwise quietly expect none.
func setUserAttribute(path: String, name: String, value: String) throws -> Bool {
    do {
        try FileSystem.setExtendedAttribute(Array(name.utf8), value: Array(value.utf8), of: FilePath(path))
        return true
    } catch where error.code == .notSupported {
        try #require(!runningUnderCI, "CI=true: the test file system must take user.* extended attributes")
        return false
    }
}

/// Whether the tests run in CI (`CI=true`), where every optional capability must be there.
let runningUnderCI = ProcessInfo.processInfo.environment["CI"] == "true"
