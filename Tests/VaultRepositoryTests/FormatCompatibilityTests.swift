import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// Repositories written by format version 1, committed under
/// `Fixtures/repositories/`: every later version must still read them.
///
/// To write them again (only when the format version changes, into a new
/// folder): `VAULT_WRITE_FIXTURES=1 swift test --filter FormatCompatibility`.
@Suite("Format compatibility")
struct FormatCompatibilityTests {
    static let password = "vault fixture password"
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/repositories")

    /// The files the fixture snapshot holds: path → contents.
    static func expectedFiles() -> [String: [UInt8]] {
        [
            "hello.txt": Array("hello, vault\n".utf8),
            "empty": [],
            "sub/random.bin": pseudoRandomBytes(count: 1 << 20, seed: 7),
            "sub/zeros.bin": [UInt8](repeating: 0, count: 1 << 20),
        ]
    }

    @Test("version-1 repositories open and restore their files bit for bit", arguments: ["v1-encrypted", "v1-plain"])
    func readFixture(name: String) async throws {
        let path = Self.fixtures.appendingPathComponent(name).path
        try #require(FileManager.default.fileExists(atPath: path + "/config"), "missing fixture \(path)")
        let repository = try await Repository.open(try LocalDirectoryStorage(at: path)) { Self.password }
        #expect(repository.config.isEncrypted == (name == "v1-encrypted"))
        let index = try await repository.loadIndex()
        let snapshots = try await repository.snapshots()
        #expect(snapshots.count == 1)
        let snapshot = try #require(snapshots.first?.manifest)
        #expect(snapshot.paths == ["/fixture"])
        #expect(snapshot.kind == .full)

        var found: [String: [UInt8]] = [:]
        var symlinks: [String: [UInt8]] = [:]
        func walk(_ treeID: Digest256, prefix: String) async throws {
            for node in try await repository.loadTree(treeID, index: index.chunks).nodes {
                let path = prefix + node.displayName
                switch node.type {
                case .directory:
                    try await walk(try #require(node.subtree), prefix: path + "/")
                case .file:
                    var contents: [UInt8] = []
                    for id in node.content {
                        contents += try await repository.loadBlob(id, at: try #require(index.chunks.location(of: .data(id))))
                    }
                    #expect(UInt64(contents.count) == node.size)
                    found[path] = contents
                case .symlink:
                    symlinks[path] = node.linkTarget
                default:
                    Issue.record("unexpected node type \(node.type) at \(path)")
                }
            }
        }
        let rootTree = try await repository.loadTree(snapshot.tree, index: index.chunks)
        #expect(rootTree.nodes.map(\.displayName) == ["fixture"], "the root tree stands for / and leads to /fixture")
        try await walk(try #require(rootTree.nodes.first?.subtree), prefix: "")
        #expect(found == Self.expectedFiles())
        #expect(symlinks == ["link": Array("sub/random.bin".utf8)])
    }

    @Test(
        "write the fixtures (only with VAULT_WRITE_FIXTURES=1)",
        .enabled(if: ProcessInfo.processInfo.environment["VAULT_WRITE_FIXTURES"] == "1")
    )
    func writeFixtures() async throws {
        for (name, encrypted) in [("v1-encrypted", true), ("v1-plain", false)] {
            let path = Self.fixtures.appendingPathComponent(name).path
            try? FileManager.default.removeItem(atPath: path)
            let storage = try LocalDirectoryStorage.create(at: path)
            // Small chunks and packs so the fixture exercises several of each.
            let config = RepositoryConfig(
                isEncrypted: encrypted, chunker: try .init(minSize: 64 << 10, avgSize: 256 << 10, maxSize: 1 << 20),
                compression: .zlib(level: 6), packSize: 1 << 20
            )
            let repository = try await Repository.create(in: storage, config: config, password: encrypted ? Self.password : nil, kdf: testKDF)
            var writer = RepositoryWriter(repository: repository, index: ChunkIndex())
            func fileNode(_ name: String, _ contents: [UInt8]) async throws -> TreeNode {
                var node = TreeNode(name: Array(name.utf8), type: .file)
                node.mode = 0o644
                node.size = UInt64(contents.count)
                node.mtime = Timestamp(nanoseconds: 1_764_176_523_000_000_000)
                for range in repository.chunker.chunks(of: contents) {
                    node.content.append(try await writer.add(Array(contents[range]), type: .data).id)
                }
                return node
            }
            let files = Self.expectedFiles()
            let sub = try Tree(nodes: [
                try await fileNode("random.bin", files["sub/random.bin"]!),
                try await fileNode("zeros.bin", files["sub/zeros.bin"]!),
            ])
            var subNode = TreeNode(name: Array("sub".utf8), type: .directory)
            subNode.mode = 0o755
            subNode.subtree = try await writer.add(sub)
            var link = TreeNode(name: Array("link".utf8), type: .symlink)
            link.linkTarget = Array("sub/random.bin".utf8)
            let root = try Tree(nodes: [
                try await fileNode("hello.txt", files["hello.txt"]!), try await fileNode("empty", []), subNode, link,
            ])
            // The root tree stands for `/` and mirrors the path down to the backed-up folder.
            var fixtureNode = TreeNode(name: Array("fixture".utf8), type: .directory)
            fixtureNode.mode = 0o755
            fixtureNode.subtree = try await writer.add(root)
            let rootID = try await writer.add(try Tree(nodes: [fixtureNode]))
            try await writer.flush()
            _ = try await repository.saveSnapshot(SnapshotManifest(
                time: Timestamp(nanoseconds: 1_764_176_523_000_000_000), host: "fixture-host", user: "fixture", paths: ["/fixture"],
                tags: ["fixture"], kind: .full, parent: nil, base: nil, tree: rootID, incomplete: false,
                summary: SnapshotSummary(), program: "vault 0.1.0"
            ))
        }
    }
}
