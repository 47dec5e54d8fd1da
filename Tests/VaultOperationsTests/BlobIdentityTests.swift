import Foundation
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
import VaultTestSupport
@testable import VaultOperations

/// A blob is named by its type and its ID together (docs/format.md, "Blob
/// identity"): a file whose bytes equal a tree blob, and a tree whose bytes
/// equal a stored chunk, are two blobs, and both come back.
@Suite("blob identity: type and ID together")
struct BlobIdentityTests {
    /// The tree blob of every empty directory.
    static let emptyTree: [UInt8] = Array("VTR1".utf8) + [0, 0, 0, 0]

    @Test("a file holding the bytes of an empty directory's tree backs up, verifies and restores", arguments: [true, false])
    func fileEqualToEmptyTree(encrypted: Bool) async throws {
        let fixture = try await RestoreFixture(encrypted: encrypted)
        let source = TestFiles.bytes(fixture.scratch.appending("src"))
        try TestFiles.makeDirectory(source)
        try TestFiles.makeDirectory(TestFiles.join(source, TestFiles.bytes("emptydir")))
        try TestFiles.write(TestFiles.join(source, TestFiles.bytes("file.bin")), Self.emptyTree)
        try await fixture.backup([String(decoding: source, as: UTF8.self)])

        let id = fixture.repository.identifier.id(of: Self.emptyTree)
        let index = try await fixture.repository.loadIndex().chunks
        #expect(index.contains(.data(id)) && index.contains(.tree(id)), "both blobs are stored")

        let report = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
        #expect(report.findingSummaries == [])

        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore(into: target)
        #expect(result.problems.map(\.message) == [])
        #expect(try TreeComparison().differences(source, TestFiles.bytes(target) + source) == [])
    }

    @Test(
        "random files equal to existing trees and trees equal to existing data restore bit-exact, and verify --read-data is exact",
        arguments: [true, false]
    )
    func treesAndDataWithEqualIDs(encrypted: Bool) async throws {
        var random = SplitMix64(seed: encrypted ? 0x7EE5 : 0xDA7A)
        // Repository 1 stores the trees first, then files equal to them.
        let first = try await RestoreFixture(encrypted: encrypted)
        let treesSource = TestFiles.bytes(first.scratch.appending("trees"))
        let filesSource = TestFiles.bytes(first.scratch.appending("files"))
        try Self.buildRandomTree(at: treesSource, depth: 3, random: &random)
        let treesPath = String(decoding: treesSource, as: UTF8.self)
        let filesPath = String(decoding: filesSource, as: UTF8.self)
        let treesSnapshot = try await first.backup([treesPath])

        // Every tree below the source, as stored.
        let plaintexts = try await Self.treePlaintexts(below: treesSource, snapshot: treesSnapshot, in: first.repository)
        #expect(plaintexts.count >= 5)
        #expect(plaintexts.values.contains(Self.emptyTree))
        try TestFiles.makeDirectory(filesSource)
        var fileOfTree: [Digest256: String] = [:]
        for (number, (id, bytes)) in plaintexts.sorted(by: { $0.key < $1.key }).enumerated() {
            // Smaller than the minimum chunk: the file is one chunk, the tree's bytes.
            try #require(bytes.count < RestoreFixture.chunker.minSize)
            let name = "tree-\(number)"
            try TestFiles.write(TestFiles.join(filesSource, TestFiles.bytes(name)), bytes)
            fileOfTree[id] = filesPath + "/" + name
        }
        try TestFiles.write(TestFiles.join(filesSource, TestFiles.bytes("random")), TestFiles.random(50_000, seed: random.next()))
        let filesSnapshot = try await first.backup([filesPath])

        // Repository 2 stores files first, then the trees equal to them. In
        // an encrypted repository the trees name blobs by other IDs, so the
        // files hold the trees as repository 2 will store them.
        let second = try await RestoreFixture(encrypted: encrypted)
        let expectedTrees = try await Self.reencodedTrees(plaintexts, from: first.repository, for: second.repository.identifier)
        let files2Source = TestFiles.bytes(first.scratch.appending("files2"))
        try TestFiles.makeDirectory(files2Source)
        for (number, bytes) in expectedTrees.values.sorted(by: { $0.lexicographicallyPrecedes($1) }).enumerated() {
            try TestFiles.write(TestFiles.join(files2Source, TestFiles.bytes("tree-\(number)")), bytes)
        }
        let filesSnapshot2 = try await Self.backup([String(decoding: files2Source, as: UTF8.self)], into: second)
        let treesSnapshot2 = try await Self.backup([treesPath], into: second)
        let stored2 = try await Self.treePlaintexts(below: treesSource, snapshot: treesSnapshot2, in: second.repository)
        #expect(Set(stored2.values) == Set(expectedTrees.values), "repository 2 stored the trees the files hold")

        let runs = [
            (first, [(treesSnapshot, treesSource), (filesSnapshot, filesSource)]),
            (second, [(filesSnapshot2, files2Source), (treesSnapshot2, treesSource)]),
        ]
        for (fixture, snapshots) in runs {
            let index = try await fixture.repository.loadIndex().chunks
            for bytes in fixture.scratch.path == first.scratch.path ? Array(plaintexts.values) : Array(expectedTrees.values) {
                let id = fixture.repository.identifier.id(of: bytes)
                #expect(index.contains(.data(id)) && index.contains(.tree(id)))
            }
            // No false alarm.
            let report = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
            #expect(report.findingSummaries == [])
            #expect(report.affected.isEmpty)
            // Bit-exact restores of both snapshots.
            for (snapshot, source) in snapshots {
                let target = fixture.scratch.appending("restore-\(snapshot.shortHex)")
                let result = try await fixture.restore(snapshot.hex, into: target)
                #expect(result.problems.map(\.message) == [])
                #expect(try TreeComparison().differences(source, TestFiles.bytes(target) + source) == [])
            }
        }

        // Nothing missed: a damaged chunk loses exactly the file, a damaged tree exactly the directories.
        let (treeID, _) = try #require(plaintexts.first { $0.value != Self.emptyTree })
        let chunkID = first.repository.identifier.id(of: plaintexts[treeID] ?? [])
        let index = try await first.repository.loadIndex().chunks
        let chunkLocation = try #require(index.location(of: .data(chunkID)))
        try Self.flipByte(in: chunkLocation, of: first)
        let dataReport = try await RepositoryVerifier(repository: first.repository, readData: .all).run()
        #expect(dataReport.findingSummaries == [
            "pack-hash-mismatch pack \(chunkLocation.pack.shortHex)", "blob-damaged chunk \(chunkID.shortHex) in pack \(chunkLocation.pack.shortHex)",
        ])
        #expect(dataReport.affected.map(\.path) == [fileOfTree[treeID]])
        #expect(dataReport.affected.allSatisfy { !$0.isDirectory && $0.loss.type == .data && $0.snapshot == filesSnapshot })

        let treeLocation = try #require(index.location(of: .tree(chunkID)))
        try Self.flipByte(in: treeLocation, of: first)
        let treeReport = try await RepositoryVerifier(repository: first.repository, readData: .all).run()
        #expect(treeReport.findingSummaries.contains("blob-damaged tree \(chunkID.shortHex) in pack \(treeLocation.pack.shortHex)"))
        let lostDirectories = treeReport.affected.filter { $0.loss.type == .tree }
        #expect(!lostDirectories.isEmpty)
        #expect(lostDirectories.allSatisfy { $0.isDirectory && $0.snapshot == treesSnapshot && $0.path.hasPrefix(treesPath) })
        // The file equal to the tree is reported for its own (damaged) chunk only.
        #expect(treeReport.affected.filter { $0.snapshot == filesSnapshot }.map(\.path) == [fileOfTree[treeID]])
    }

    // MARK: Helpers

    /// Backs up into a fixture's repository paths that may lie outside its scratch directory.
    static func backup(_ paths: [String], into fixture: RestoreFixture) async throws -> SnapshotID {
        var options = BackupOptions(paths: paths)
        options.kind = .full
        return try await Backup(repository: fixture.repository, options: options).run().snapshotID
    }

    /// A random tree: directories (some empty) and small files, `depth` levels deep.
    static func buildRandomTree(at path: [UInt8], depth: Int, random: inout SplitMix64) throws {
        try TestFiles.makeDirectory(path)
        guard depth > 0 else { return }
        for number in 0..<(2 + Int(random.next() % 4)) {
            let name = TestFiles.join(path, TestFiles.bytes("f\(number)"))
            try TestFiles.write(name, TestFiles.random(Int(random.next() % 3000), seed: random.next()))
        }
        try TestFiles.makeDirectory(TestFiles.join(path, TestFiles.bytes("empty")))
        for number in 0..<(2 + Int(random.next() % 2)) {
            let name = TestFiles.join(path, TestFiles.bytes("d\(number)"))
            if random.next() % 4 == 0 {
                try TestFiles.makeDirectory(name)
            } else {
                try buildRandomTree(at: name, depth: depth - 1, random: &random)
            }
        }
    }

    /// The stored plaintext of every tree at and below `path` in a snapshot, by tree ID.
    static func treePlaintexts(below path: [UInt8], snapshot: SnapshotID, in repository: Repository) async throws -> [Digest256: [UInt8]] {
        let index = try await repository.loadIndex().chunks
        let manifest = try await repository.loadSnapshot(snapshot)
        let root = try #require(try await repository.node(at: path, root: manifest.tree, index: index))
        var pending = [try #require(root.subtree)]
        var result: [Digest256: [UInt8]] = [:]
        while let id = pending.popLast() {
            guard result[id] == nil else { continue }
            let location = try #require(index.location(of: .tree(id)))
            let bytes = try await repository.loadBlob(id, at: location)
            result[id] = bytes
            pending += try Tree(decoding: bytes, what: "tree").nodes.compactMap(\.subtree)
        }
        return result
    }

    /// The trees of `plaintexts` (from `repository`) encoded as a repository
    /// with `identifier` stores them: the same nodes, with every chunk and
    /// subtree named by that repository's IDs. Keyed by the original tree ID.
    static func reencodedTrees(
        _ plaintexts: [Digest256: [UInt8]], from repository: Repository, for identifier: BlobIdentifier
    ) async throws -> [Digest256: [UInt8]] {
        let index = try await repository.loadIndex().chunks
        var result: [Digest256: [UInt8]] = [:]
        func reencode(_ id: Digest256) async throws -> Digest256 {
            if let done = result[id] { return identifier.id(of: done) }
            var nodes = try Tree(decoding: try #require(plaintexts[id]), what: "tree").nodes
            for position in nodes.indices {
                var chunks: [Digest256] = []
                for chunk in nodes[position].content {
                    chunks.append(identifier.id(of: try await repository.loadBlob(chunk, at: try #require(index.location(of: .data(chunk))))))
                }
                nodes[position].content = chunks
                if let subtree = nodes[position].subtree {
                    nodes[position].subtree = try await reencode(subtree)
                }
            }
            let bytes = try Tree(nodes: nodes).encoded()
            result[id] = bytes
            return identifier.id(of: bytes)
        }
        for id in plaintexts.keys {
            _ = try await reencode(id)
        }
        return result
    }

    /// Flips a byte in the middle of a stored blob.
    static func flipByte(in location: BlobLocation, of fixture: RestoreFixture) throws {
        let hex = location.pack.hex
        let path = fixture.scratch.appending("repo/data/\(hex.prefix(2))/\(hex)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(location.offset + location.length / 2)] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
