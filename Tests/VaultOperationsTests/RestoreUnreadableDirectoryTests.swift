import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// A directory whose listing cannot be read (a damaged or missing tree
/// blob, a missing pack) is left untouched in the target: `--delete` does
/// not empty it and `--overwrite` does not replace or retouch it. The
/// reason is reported and the restore is incomplete (exit 1 in the CLI).
@Suite("restore: unreadable directories are left untouched")
struct RestoreUnreadableDirectoryTests {
    /// How the tree of `sub` is made unreadable.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        /// A byte flipped inside the tree blob, in its pack.
        case damagedTreeBlob
        /// The index does not know the tree blob (a crafted snapshot naming a tree never stored).
        case missingTreeBlob
        /// The pack holding the tree blob is gone.
        case missingPack

        var testDescription: String { rawValue }
    }

    /// What the restore is asked to do with existing entries.
    enum Mode: String, CaseIterable, CustomTestStringConvertible {
        case delete
        case overwriteAlways
        case overwriteIfChanged

        var testDescription: String { rawValue }

        func configure(_ options: inout RestoreOptions) {
            switch self {
            case .delete: options.deletesExtraneous = true
            case .overwriteAlways: options.overwrite = .always
            case .overwriteIfChanged:
                options.overwrite = .ifChanged
                options.deletesExtraneous = true
            }
        }
    }

    /// A repository holding a snapshot of `{keep.txt, sub/{a.txt, b.txt}}`
    /// whose `sub` tree cannot be read, and the snapshot reference to
    /// restore so that these entries land directly in the target.
    struct Setup {
        let fixture: RestoreFixture
        let snapshot: String

        init(_ damage: Damage) async throws {
            fixture = try await RestoreFixture(encrypted: false)
            let source = fixture.scratch.appending("src")
            switch damage {
            case .damagedTreeBlob:
                try Self.makeSource(source)
                let id = try await fixture.backup([source])
                snapshot = "\(id.hex):\(source)"
                let tree = try await subTree(of: id, source: source)
                let location = try #require(try await fixture.repository.loadIndex().chunks.location(of: .tree(tree)))
                try flip(Int64(location.offset) + Int64(location.length / 2), ofFileAt: packPath(location.pack))
            case .missingTreeBlob:
                let crafted = CraftedSnapshot(repository: fixture.repository)
                let keep = try await crafted.file("keep.txt", Array("keep".utf8))
                let sub = crafted.directory("sub", tree: Digest256(words: (7, 7, 7, 7)))
                let id = try await crafted.save(root: try await crafted.tree([keep, sub]))
                snapshot = id.hex
            case .missingPack:
                // The first backup stores `sub`'s tree; the second shares it
                // (unchanged) and writes new trees above it into a new pack.
                try Self.makeSource(source)
                try await fixture.backup([source])
                try TestFiles.write(TestFiles.join(source, "keep.txt"), Array("keep, second version".utf8))
                let id = try await fixture.backup([source])
                snapshot = "\(id.hex):\(source)"
                let tree = try await subTree(of: id, source: source)
                let index = try await fixture.repository.loadIndex().chunks
                let pack = try #require(index.location(of: .tree(tree))?.pack)
                let sourceTree = try #require(try await fixture.repository.node(
                    at: Array(source.utf8), root: try await fixture.repository.loadSnapshot(id).tree, index: index)?.subtree)
                #expect(index.location(of: .tree(sourceTree))?.pack != pack, "the test needs the parent tree in another pack")
                try FileSystem.removeFile(FilePath(packPath(pack)))
            }
        }

        static func makeSource(_ source: String) throws {
            try TestFiles.makeDirectory(TestFiles.bytes(source))
            try TestFiles.write(TestFiles.join(source, "keep.txt"), Array("keep".utf8))
            try TestFiles.makeDirectory(TestFiles.join(source, "sub"))
            try TestFiles.write(TestFiles.join(source, "sub/a.txt"), Array("a from the snapshot".utf8))
            try TestFiles.write(TestFiles.join(source, "sub/b.txt"), Array("b from the snapshot".utf8))
        }

        func subTree(of snapshot: SnapshotID, source: String) async throws -> Digest256 {
            let index = try await fixture.repository.loadIndex().chunks
            let manifest = try await fixture.repository.loadSnapshot(snapshot)
            return try #require(try await fixture.repository.node(at: Array((source + "/sub").utf8), root: manifest.tree, index: index)?.subtree)
        }

        func packPath(_ pack: PackID) -> String {
            fixture.scratch.appending("repo/data/\(pack.hex.prefix(2))/\(pack.hex)")
        }

        func flip(_ offset: Int64, ofFileAt path: String) throws {
            let file = try FileDescriptor.open(FilePath(path), .readWrite)
            var byte = try file.read(fromAbsoluteOffset: offset, count: 1)
            byte[0] ^= 0xFF
            try byte.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: offset, $0) }
            try file.close()
        }
    }

    /// A target holding `sub/precious.txt` and an old `sub/a.txt`, `sub` with a known mode and time.
    static func prepareTarget(_ target: String) throws -> FileStatus {
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        try TestFiles.makeDirectory(TestFiles.join(target, "sub"), mode: 0o750)
        try TestFiles.write(TestFiles.join(target, "sub/precious.txt"), Array("the user's own file".utf8))
        try TestFiles.write(TestFiles.join(target, "sub/a.txt"), Array("the old a".utf8))
        try TestFiles.setTime(TestFiles.join(target, "sub"), seconds: 1_500_000_000, nanoseconds: 0)
        return try TestFiles.status(TestFiles.join(target, "sub"))
    }

    @Test(
        "a directory whose tree cannot be read keeps every entry, its contents, mode and time",
        arguments: Damage.allCases, Mode.allCases)
    func leftUntouched(damage: Damage, mode: Mode) async throws {
        let setup = try await Setup(damage)
        let target = setup.fixture.scratch.appending("out")
        let before = try Self.prepareTarget(target)

        let result = try await setup.fixture.restore(setup.snapshot, into: target) { mode.configure(&$0) }

        #expect(result.problems.map(\.path) == [target + "/sub"], "\(result.problems.map(\.message))")
        #expect(result.problems.first?.reason.contains("cannot read the directory's contents") == true)
        #expect(result.problems.first?.reason.contains("left untouched") == true)
        #expect(!result.isComplete)
        #expect(result.summary.entriesDeleted == 0)
        #expect(try TestFiles.names(TestFiles.join(target, "sub")) == Set(["precious.txt", "a.txt"].map { Array($0.utf8) }))
        #expect(try TestFiles.read(TestFiles.join(target, "sub/precious.txt")) == Array("the user's own file".utf8))
        #expect(try TestFiles.read(TestFiles.join(target, "sub/a.txt")) == Array("the old a".utf8))
        let after = try TestFiles.status(TestFiles.join(target, "sub"))
        #expect(after.permissions == before.permissions)
        #expect(after.modificationTime == before.modificationTime)
        #expect(after.inode == before.inode)
        // The rest of the snapshot is restored.
        #expect(TestFiles.exists(TestFiles.join(target, "keep.txt")))
    }

    @Test("a file standing where the unreadable directory goes is kept", arguments: Damage.allCases, Mode.allCases)
    func fileInTheWayKept(damage: Damage, mode: Mode) async throws {
        let setup = try await Setup(damage)
        let target = setup.fixture.scratch.appending("out")
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        try TestFiles.write(TestFiles.join(target, "sub"), Array("a file named sub".utf8))

        let result = try await setup.fixture.restore(setup.snapshot, into: target) { mode.configure(&$0) }

        #expect(result.problems.map(\.path) == [target + "/sub"], "\(result.problems.map(\.message))")
        #expect(try TestFiles.status(TestFiles.join(target, "sub")).type == .regular)
        #expect(try TestFiles.read(TestFiles.join(target, "sub")) == Array("a file named sub".utf8))
    }

    @Test("into an empty target, the unreadable directory is not created", arguments: Damage.allCases)
    func notCreated(damage: Damage) async throws {
        let setup = try await Setup(damage)
        let target = setup.fixture.scratch.appending("out")
        let result = try await setup.fixture.restore(setup.snapshot, into: target)
        #expect(result.problems.map(\.path) == [target + "/sub"])
        #expect(try TestFiles.names(TestFiles.bytes(target)) == [Array("keep.txt".utf8)])
    }

    @Test("restoring the unreadable directory itself fails before the target is touched", arguments: [Damage.damagedTreeBlob, .missingPack])
    func unreadableTop(damage: Damage) async throws {
        let setup = try await Setup(damage)
        let target = setup.fixture.scratch.appending("out")
        _ = try Self.prepareTarget(target)
        let snapshot = setup.snapshot + "/sub"
        await #expect(throws: RepositoryError.self) {
            _ = try await setup.fixture.restore(snapshot, into: target + "/sub") {
                $0.deletesExtraneous = true
            }
        }
        #expect(try TestFiles.names(TestFiles.join(target, "sub")) == Set(["precious.txt", "a.txt"].map { Array($0.utf8) }))
    }

    @Test("a directory standing where a file with unreadable contents goes is kept", arguments: ["damaged chunk", "chunk missing from the index"])
    func directoryInTheWayOfUnreadableFile(how: String) async throws {
        let fixture = try await RestoreFixture(encrypted: false, compression: .none)
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let contents = TestFiles.random(12_000, seed: 30)
        var file = try await crafted.file("f", contents)
        if how == "damaged chunk" {
            let location = try #require(try await fixture.repository.loadIndex().chunks.location(of: .data(file.content[0])))
            let path = fixture.scratch.appending("repo/data/\(location.pack.hex.prefix(2))/\(location.pack.hex)")
            let pack = try FileDescriptor.open(FilePath(path), .readWrite)
            let offset = Int64(location.offset) + Int64(location.length / 2)
            var byte = try pack.read(fromAbsoluteOffset: offset, count: 1)
            byte[0] ^= 0xFF
            try byte.withUnsafeBytes { try pack.writeAll(toAbsoluteOffset: offset, $0) }
            try pack.close()
        } else {
            file.content = [Digest256(words: (9, 9, 9, 9))]
        }
        let snapshot = try await crafted.save(root: try await crafted.tree([file, try await crafted.file("ok", [1])]))

        let target = fixture.scratch.appending("out")
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        try TestFiles.makeDirectory(TestFiles.join(target, "f"))
        try TestFiles.write(TestFiles.join(target, "f/mine"), Array("the user's".utf8))
        let result = try await fixture.restore(snapshot.hex, into: target) { $0.deletesExtraneous = true }
        #expect(result.problems.map(\.path) == [target + "/f"], "\(result.problems.map(\.message))")
        #expect(try TestFiles.status(TestFiles.join(target, "f")).type == .directory)
        #expect(try TestFiles.read(TestFiles.join(target, "f/mine")) == Array("the user's".utf8))
        #expect(try TestFiles.names(TestFiles.bytes(target)) == Set(["f", "ok"].map { Array($0.utf8) }))
    }

    @Test("a readable file replaces the directory in its way once it is complete")
    func directoryReplacedByCompleteFile() async throws {
        let fixture = try await RestoreFixture(encrypted: false)
        let crafted = CraftedSnapshot(repository: fixture.repository)
        let snapshot = try await crafted.save(root: try await crafted.tree([try await crafted.file("f", Array("a file now".utf8))]))
        let target = fixture.scratch.appending("out")
        try TestFiles.makeDirectory(TestFiles.bytes(target))
        try TestFiles.makeDirectory(TestFiles.join(target, "f"))
        try TestFiles.write(TestFiles.join(target, "f/old"), [1])
        let result = try await fixture.restore(snapshot.hex, into: target)
        #expect(result.problems == [])
        #expect(try TestFiles.read(TestFiles.join(target, "f")) == Array("a file now".utf8))
        #expect(try TestFiles.names(TestFiles.bytes(target)) == [Array("f".utf8)])
    }
}
