import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// An untrusted or damaged repository, or a hostile target, never makes a
/// restore write outside its target.
@Suite("restore: safety")
struct RestoreSafetyTests {
    @Test("entries with names that are not single path components are refused, and nothing escapes the target")
    func craftedNames() async throws {
        let fixture = try await RestoreFixture()
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let marker = "escape-\(UInt32.random(in: 0...UInt32.max))"
        let evilNames: [[UInt8]] = [
            Array("..".utf8), Array(".".utf8), Array("../\(marker)".utf8), Array("../../../../../../tmp/\(marker)".utf8),
            Array("/tmp/\(marker)".utf8), Array("a/b".utf8), [], [0x78, 0x00, 0x79],
        ]
        let payload = try await crafted.file("payload", Array("should not be written".utf8))
        var directoryWithPayload = crafted.directory("placeholder", tree: try await crafted.tree([]))
        directoryWithPayload.subtree = try await crafted.tree([payload])
        var root: [TreeNode] = [try await crafted.file("good", Array("fine".utf8))]
        for (number, name) in evilNames.enumerated() {
            // A file and a directory under each bad name.
            let asFile = try await crafted.store([(try crafted.treeBytes(withEntryNamed: name, like: payload), .tree)])[0]
            let asDirectory = try await crafted.store([(try crafted.treeBytes(withEntryNamed: name, like: directoryWithPayload), .tree)])[0]
            root.append(crafted.directory("evil-file-\(number)", tree: asFile))
            root.append(crafted.directory("evil-dir-\(number)", tree: asDirectory))
        }
        let snapshot = try await crafted.save(root: try await crafted.tree(root))

        let outer = fixture.scratch.appending("outer")
        try TestFiles.makeDirectory(TestFiles.bytes(outer))
        let target = outer + "/target"
        let result = try await fixture.restore(snapshot.hex, into: target)
        #expect(result.problems.count == 2 * evilNames.count)
        #expect(result.problems.allSatisfy { $0.reason.contains("invalid entry name") }, "\(result.problems.map(\.message))")
        #expect(try TestFiles.read(TestFiles.join(target, "good")) == Array("fine".utf8))
        #expect(try TestFiles.names(TestFiles.bytes(outer)) == [Array("target".utf8)])
        // The evil directories, whose trees cannot be read, are not created; nothing else was written anywhere.
        let everything = try TestFiles.walk(TestFiles.bytes(target)).map { String(decoding: $0, as: UTF8.self) }
        #expect(everything == ["good"], "\(everything)")
        #expect(!everything.contains { $0.contains("payload") || $0.contains(marker) })
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"))
        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.appending(marker)))
    }

    @Test("the restore's own check of names, before any system call")
    func safeNames() {
        for bad: [UInt8] in [[], Array(".".utf8), Array("..".utf8), Array("a/b".utf8), Array("/".utf8), [0x61, 0], Array("../x".utf8)] {
            #expect(!RestorePlanner.isSafeName(bad), "\(bad)")
        }
        for good: [UInt8] in [Array("...".utf8), Array(".hidden".utf8), Array("..x".utf8), [0xFF, 0xFE], Array("a b\n".utf8)] {
            #expect(RestorePlanner.isSafeName(good), "\(good)")
        }
    }

    @Test("a snapshot whose root tree is damaged restores nothing")
    func damagedRoot() async throws {
        let fixture = try await RestoreFixture()
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let node = try await crafted.file("x", [1, 2, 3])
        let root = try await crafted.store([(try crafted.treeBytes(withEntryNamed: Array("..".utf8), like: node), .tree)])[0]
        let snapshot = try await crafted.save(root: root)
        let target = fixture.scratch.appending("target")
        let error = await #expect(throws: RepositoryError.self) {
            try await fixture.restore(snapshot.hex, into: target)
        }
        #expect(error?.code == .damaged)
        #expect(try TestFiles.names(TestFiles.bytes(target)).isEmpty)
    }

    /// A source tree, an outside directory with a precious file, and a
    /// target whose entries are symbolic links into the outside directory.
    struct HostileTarget {
        let fixture: RestoreFixture
        let source: String
        let outside: String
        let target: String

        init() async throws {
            fixture = try await RestoreFixture()
            source = fixture.scratch.appending("src")
            outside = fixture.scratch.appending("outside")
            target = fixture.scratch.appending("target")
            try TestFiles.makeDirectory(TestFiles.bytes(source))
            try TestFiles.makeDirectory(TestFiles.join(source, "a"))
            try TestFiles.write(TestFiles.join(source, "a/file.txt"), Array("in a".utf8))
            try TestFiles.write(TestFiles.join(source, "f"), Array("f from the snapshot".utf8))
            try TestFiles.write(TestFiles.join(source, "g"), Array("g from the snapshot".utf8))
            try TestFiles.makeDirectory(TestFiles.bytes(outside))
            try TestFiles.write(TestFiles.join(outside, "precious"), Array("keep".utf8))
            try await fixture.backup([source])

            try TestFiles.makeDirectory(TestFiles.bytes(target))
            try TestFiles.symlink(TestFiles.join(target, "a"), to: TestFiles.bytes(outside))
            try TestFiles.symlink(TestFiles.join(target, "f"), to: TestFiles.join(outside, "f"))
            try TestFiles.symlink(TestFiles.join(target, "g"), to: TestFiles.join(outside, "precious"))
        }

        /// Whether the outside directory is as it was.
        func outsideIsUntouched() throws -> Bool {
            try TestFiles.names(TestFiles.bytes(outside)) == [Array("precious".utf8)]
                && TestFiles.read(TestFiles.join(outside, "precious")) == Array("keep".utf8)
        }
    }

    @Test("symbolic links in the target are replaced, never followed", arguments: [OverwritePolicy.always, .ifChanged])
    func preexistingSymlinks(policy: OverwritePolicy) async throws {
        let setup = try await HostileTarget()
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.overwrite = policy }
        #expect(result.problems == [])
        #expect(try setup.outsideIsUntouched())
        #expect(try TestFiles.status(TestFiles.join(setup.target, "a")).type == .directory)
        #expect(try TestFiles.read(TestFiles.join(setup.target, "a/file.txt")) == Array("in a".utf8))
        #expect(try TestFiles.read(TestFiles.join(setup.target, "f")) == Array("f from the snapshot".utf8))
        #expect(try TestFiles.read(TestFiles.join(setup.target, "g")) == Array("g from the snapshot".utf8))
    }

    @Test("with --overwrite never, symbolic links in the target are kept and not entered")
    func preexistingSymlinksKept() async throws {
        let setup = try await HostileTarget()
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.overwrite = .never }
        #expect(result.problems == [])
        #expect(result.summary.entriesKept == 3)
        #expect(try setup.outsideIsUntouched())
        #expect(try TestFiles.status(TestFiles.join(setup.target, "a")).type == .symbolicLink)
    }

    @Test("a symbolic link an earlier restore made is replaced by the directory of a later snapshot")
    func symlinkThenDirectory() async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        let outside = fixture.scratch.appending("outside")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try TestFiles.makeDirectory(TestFiles.bytes(outside))
        try TestFiles.symlink(TestFiles.join(source, "x"), to: TestFiles.bytes(outside))
        let first = try await fixture.backup([source])
        try FileSystem.removeFile(FilePath(bytes: TestFiles.join(source, "x")))
        try TestFiles.makeDirectory(TestFiles.join(source, "x"))
        try TestFiles.write(TestFiles.join(source, "x/inside"), Array("in x".utf8))
        let second = try await fixture.backup([source])

        let target = fixture.scratch.appending("target")
        _ = try await fixture.restore("\(first.hex):\(source)", into: target)
        #expect(try TestFiles.status(TestFiles.join(target, "x")).type == .symbolicLink)
        let result = try await fixture.restore("\(second.hex):\(source)", into: target)
        #expect(result.problems == [])
        #expect(try TestFiles.names(TestFiles.bytes(outside)).isEmpty)
        #expect(try TestFiles.read(TestFiles.join(target, "x/inside")) == Array("in x".utf8))
    }

    @Test("--delete removes symbolic links and directories not in the snapshot, never what links point to")
    func deleteDoesNotFollow() async throws {
        let setup = try await HostileTarget()
        try TestFiles.symlink(TestFiles.join(setup.target, "extra-link"), to: TestFiles.bytes(setup.outside))
        try TestFiles.makeDirectory(TestFiles.join(setup.target, "extra-dir"))
        try TestFiles.symlink(TestFiles.join(setup.target, "extra-dir/inner-link"), to: TestFiles.bytes(setup.outside))
        try TestFiles.write(TestFiles.join(setup.target, "extra-dir/file"), [1])
        let result = try await setup.fixture.restore("latest:\(setup.source)", into: setup.target) { $0.deletesExtraneous = true }
        #expect(result.problems == [])
        #expect(result.summary.entriesDeleted == 4)
        #expect(try setup.outsideIsUntouched())
        #expect(try TestFiles.names(TestFiles.bytes(setup.target)) == Set(["a", "f", "g"].map { Array($0.utf8) }))
    }

    @Test("a damaged chunk fails only the files that need it, and leaves no partial file")
    func damagedChunk() async throws {
        let fixture = try await RestoreFixture(encrypted: true, compression: .none)
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        let damagedContents = TestFiles.random(12_000, seed: 20)  // below the minimum chunk size: one chunk
        try TestFiles.write(TestFiles.join(source, "damaged"), damagedContents)
        try TestFiles.write(TestFiles.join(source, "also-damaged"), damagedContents)
        try TestFiles.write(TestFiles.join(source, "intact"), TestFiles.random(100_000, seed: 21))
        try await fixture.backup([source])

        // Flip a byte inside the chunk of `damaged`.
        let index = try await fixture.repository.loadIndex().chunks
        let id = fixture.repository.identifier.id(of: damagedContents)
        let location = try #require(index.location(of: .data(id)))
        let packPath = fixture.scratch.appending("repo/data/\(location.pack.hex.prefix(2))/\(location.pack.hex)")
        let pack = try FileDescriptor.open(FilePath(packPath), .readWrite)
        let offset = Int64(location.offset) + Int64(location.length / 2)
        var byte = try pack.read(fromAbsoluteOffset: offset, count: 1)
        byte[0] ^= 0xFF
        try byte.withUnsafeBytes { try pack.writeAll(toAbsoluteOffset: offset, $0) }
        try pack.close()

        let target = fixture.scratch.appending("target")
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        try TestFiles.write(TestFiles.join(target, "damaged"), Array("the good old version".utf8))
        let result = try await fixture.restore("latest:\(source)", into: target)
        #expect(result.problems.map(\.path).sorted() == [target + "/also-damaged", target + "/damaged"])
        #expect(result.problems.allSatisfy { $0.reason.contains("damaged") }, "\(result.problems)")
        #expect(try TestFiles.read(TestFiles.join(target, "intact")) == TestFiles.random(100_000, seed: 21))
        // The file that stood there is kept; no temporary file is left.
        #expect(try TestFiles.read(TestFiles.join(target, "damaged")) == Array("the good old version".utf8))
        #expect(try TestFiles.names(TestFiles.bytes(target)) == Set(["damaged", "intact"].map { Array($0.utf8) }))
    }

    @Test("chunks missing from the index, and sizes that disagree with the chunks, are reported")
    func missingChunks() async throws {
        let fixture = try await RestoreFixture()
        let crafted = CraftedSnapshot(repository: fixture.repository)
        var missing = try await crafted.file("missing", [1, 2, 3])
        missing.content = [Digest256(words: (1, 2, 3, 4))]
        var wrongSize = try await crafted.file("wrong-size", Array("four".utf8))
        wrongSize.size = 1000
        let snapshot = try await crafted.save(root: try await crafted.tree([missing, wrongSize, try await crafted.file("ok", [7])]))
        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore(snapshot.hex, into: target)
        #expect(result.problems.count == 2)
        #expect(result.problems.contains { $0.path.hasSuffix("/missing") && $0.reason.contains("missing from the repository") })
        #expect(result.problems.contains { $0.path.hasSuffix("/wrong-size") && $0.reason.contains("records 1000 bytes") })
        #expect(try TestFiles.names(TestFiles.bytes(target)) == Set(["ok", "wrong-size"].map { Array($0.utf8) }))
        #expect(try TestFiles.read(TestFiles.join(target, "wrong-size")) == Array("four".utf8))
    }
}
