import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultTestSupport

/// The backup's walk over a fake file system: entries that vanish, change
/// kind or cannot be read between one call and the next, hostile names,
/// and cache directory tags (issue 12, "Rooms per operation").
@Suite("Backup: the source walker over a fake file system")
struct SourceWalkerTests {
    /// A repository, and a fake source tree at `/src`.
    struct Setup {
        let fixture: BackupFixture
        let fileSystem = FakeSourceFileSystem()

        init() async throws {
            fixture = try await BackupFixture(encrypted: false)
            fileSystem.add("/src", .directory)
        }

        func backup(configure: (inout BackupOptions) -> Void = { _ in }) async throws -> BackupResult {
            var options = BackupOptions(paths: ["/src"])
            options.kind = .full
            configure(&options)
            var backup = Backup(repository: fixture.repository, options: options)
            backup.fileSystem = fileSystem
            return try await backup.run()
        }

        /// The nodes of a directory in a snapshot, by name's bytes.
        func nodes(_ result: BackupResult, at path: String = "/src") async throws -> [[UInt8]: TreeNode] {
            let repository = fixture.repository
            let index = try await repository.loadIndex().chunks
            let node = try #require(try await repository.node(at: Array(path.utf8), root: result.manifest.tree, index: index))
            let tree = try await repository.loadTree(try #require(node.subtree), index: index)
            return Dictionary(uniqueKeysWithValues: tree.nodes.map { ($0.name, $0) })
        }

        /// A file's contents as stored.
        func contents(_ node: TreeNode) async throws -> [UInt8] {
            let repository = fixture.repository
            let index = try await repository.loadIndex().chunks
            var bytes: [UInt8] = []
            for id in node.content {
                bytes += try await repository.loadBlob(id, at: try #require(index.location(of: .data(id))))
            }
            return bytes
        }
    }

    private static func name(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("a directory that vanishes between listing and opening: a 'vanished' warning, stored empty, the rest kept")
    func directoryVanishes() async throws {
        let setup = try await Setup()
        let fs = setup.fileSystem
        fs.add("/src/keep.txt", .file(Self.name("kept")))
        fs.add("/src/gone", .directory)
        fs.add("/src/gone/inner.txt", .file(Self.name("never read")))
        fs.afterListing("/src") { $0.remove(Self.name("/src/gone")) }

        let result = try await setup.backup()
        #expect(result.warnings.contains { $0.kind == .vanished && $0.path == "/src/gone" }, "\(result.warnings)")
        let nodes = try await setup.nodes(result)
        let keep = try #require(nodes[Self.name("keep.txt")])
        #expect(try await setup.contents(keep) == Self.name("kept"))
        let gone = try #require(nodes[Self.name("gone")])
        #expect(gone.type == .directory)
        #expect(try await setup.nodes(result, at: "/src/gone").isEmpty)
        #expect(!fs.calls.contains { $0.0 == .open && $0.1 == Self.name("/src/gone/inner.txt") })
    }

    @Test("a file that turns into a directory before it is opened is left out as 'replaced', and the snapshot stays complete")
    func fileTurnsIntoDirectory() async throws {
        let setup = try await Setup()
        let fs = setup.fileSystem
        fs.add("/src/a.txt", .file(Self.name("alpha")))
        fs.add("/src/b.txt", .file(Self.name("bravo")))
        fs.afterListing("/src") { $0.add("/src/b.txt", .directory) }

        let result = try await setup.backup()
        let warning = try #require(result.warnings.first { $0.path == "/src/b.txt" })
        #expect(warning.kind == .vanished)
        #expect(warning.reason == "replaced by another kind of file")
        #expect(!result.manifest.incomplete)
        let nodes = try await setup.nodes(result)
        #expect(nodes[Self.name("b.txt")] == nil)
        let a = try #require(nodes[Self.name("a.txt")])
        #expect(try await setup.contents(a) == Self.name("alpha"))
        #expect(result.manifest.summary.bytesTotal == 5)
    }

    @Test("entries that cannot be opened, described, listed or read give 'unreadable' warnings and an incomplete snapshot (exit 3)")
    func unreadableEntries() async throws {
        let setup = try await Setup()
        let fs = setup.fileSystem
        fs.add("/src/ok.txt", .file(Self.name("fine")))
        fs.add("/src/locked.txt", .file(Self.name("secret")))
        fs.add("/src/nostat.txt", .file(Self.name("x")))
        fs.add("/src/private", .directory)
        fs.add("/src/private/file", .file(Self.name("y")))
        fs.add("/src/badread.txt", .file(Self.name("z")))
        fs.fail(.open, "/src/locked.txt", .permissionDenied)
        fs.fail(.status, "/src/nostat.txt", .permissionDenied)
        fs.fail(.list, "/src/private", .permissionDenied)
        fs.fail(.read, "/src/badread.txt", .ioError)

        let result = try await setup.backup()
        let unreadable = Set(result.warnings.filter { $0.kind == .unreadable }.map(\.path))
        #expect(unreadable == ["/src/locked.txt", "/src/nostat.txt", "/src/private", "/src/badread.txt"], "\(result.warnings)")
        #expect(result.warnings.allSatisfy { $0.kind.makesSnapshotIncomplete })
        #expect(result.manifest.incomplete, "an incomplete snapshot is what makes `vault backup` exit 3")
        let nodes = try await setup.nodes(result)
        #expect(Set(nodes.keys) == [Self.name("ok.txt"), Self.name("private")])
        #expect(try await setup.nodes(result, at: "/src/private").isEmpty)
    }

    @Test("names with newlines, control bytes and invalid UTF-8 are stored byte for byte, in byte order")
    func hostileNames() async throws {
        let setup = try await Setup()
        let fs = setup.fileSystem
        let names: [[UInt8]] = [
            Self.name("line\nbreak"), [0xFF, 0xFE, 0x41], [0x1B, 0x5B, 0x32, 0x4A], Self.name("sp ace"), [0xC3, 0x28],
            Self.name("-dash"), Self.name("\r"),
        ]
        for (number, name) in names.enumerated() {
            fs.add(Self.name("/src/") + name, .file(Array("file \(number)".utf8)))
        }
        fs.add(Self.name("/src/") + [0xE2, 0x82], .directory)
        fs.add(Self.name("/src/") + [0xE2, 0x82] + Self.name("/in\nside"), .symbolicLink([0xFF, 0x0A]))

        let result = try await setup.backup()
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        #expect(!result.manifest.incomplete)
        let repository = setup.fixture.repository
        let index = try await repository.loadIndex().chunks
        let src = try #require(try await repository.node(at: Self.name("/src"), root: result.manifest.tree, index: index))
        let tree = try await repository.loadTree(try #require(src.subtree), index: index)
        #expect(tree.nodes.map(\.name) == (names + [[0xE2, 0x82]]).sorted { $0.lexicographicallyPrecedes($1) })
        for (number, name) in names.enumerated() {
            let node = try #require(tree.nodes.first { $0.name == name })
            #expect(try await setup.contents(node) == Array("file \(number)".utf8))
        }
        let directory = try #require(tree.nodes.first { $0.name == [0xE2, 0x82] })
        let inner = try await repository.loadTree(try #require(directory.subtree), index: index)
        #expect(inner.nodes.map(\.name) == [Self.name("in\nside")])
        #expect(inner.nodes.first?.linkTarget == [0xFF, 0x0A])
    }

    @Test("--exclude-caches keeps only the tag of a directory whose CACHEDIR.TAG starts with the signature")
    func cacheDirectoryTag() async throws {
        let setup = try await Setup()
        let fs = setup.fileSystem
        let signature = "Signature: 8a477f597d28d172789f06886806bc55"
        fs.add("/src/cache", .directory)
        fs.add("/src/cache/CACHEDIR.TAG", .file(Self.name(signature + "\n# a cache\n")))
        fs.add("/src/cache/big.bin", .file(pseudoRandomBytes(count: 10_000, seed: 3)))
        fs.add("/src/fake", .directory)
        fs.add("/src/fake/CACHEDIR.TAG", .file(Self.name("Signature: not it")))
        fs.add("/src/fake/kept.bin", .file(Self.name("kept")))
        fs.add("/src/linked", .directory)
        fs.add("/src/linked/CACHEDIR.TAG", .symbolicLink(Self.name("/src/cache/CACHEDIR.TAG")))
        fs.add("/src/linked/kept.bin", .file(Self.name("kept too")))
        fs.add("/src/failing", .directory)
        fs.add("/src/failing/CACHEDIR.TAG", .file(Self.name(signature)))
        fs.add("/src/failing/kept.bin", .file(Self.name("kept as well")))
        fs.fail(.read, "/src/failing/CACHEDIR.TAG", .ioError)

        let excluding = try await setup.backup { $0.excludeCaches = true }
        #expect(Set(try await setup.nodes(excluding, at: "/src/cache").keys) == [Self.name("CACHEDIR.TAG")])
        #expect(Set(try await setup.nodes(excluding, at: "/src/fake").keys) == [Self.name("CACHEDIR.TAG"), Self.name("kept.bin")])
        #expect(Set(try await setup.nodes(excluding, at: "/src/linked").keys) == [Self.name("CACHEDIR.TAG"), Self.name("kept.bin")])
        // The tag cannot be read: not a cache; reading it as a file then fails and warns.
        #expect(try await setup.nodes(excluding, at: "/src/failing")[Self.name("kept.bin")] != nil)

        let keeping = try await setup.backup()
        #expect(Set(try await setup.nodes(keeping, at: "/src/cache").keys) == [Self.name("CACHEDIR.TAG"), Self.name("big.bin")])
    }
}
