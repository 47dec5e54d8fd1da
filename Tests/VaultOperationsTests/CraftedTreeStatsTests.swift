import Foundation
import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// `stats` over hand-crafted trees: sizes no file system has are errors, not traps.
@Suite("Crafted input: stats over forged trees")
struct CraftedTreeStatsTests {
    /// Stores `tree` as a tree blob in a pack of its own, indexed; returns its ID.
    private func store(_ tree: Tree, in repository: Repository) async throws -> Digest256 {
        let plaintext = tree.encoded()
        let id = repository.identifier.id(of: plaintext)
        var encoder = BlobEncoder(cipher: repository.cipher, compression: .none)
        var pack = PackWriter(cipher: repository.cipher)
        pack.add(type: .tree, id: id, rawLength: plaintext.count) { output in
            _ = plaintext.withUnsafeBytes { encoder.encode($0, appendingTo: &output) }
        }
        let finished = pack.finish()
        try await repository.savePack(finished)
        let blobs = finished.blobs.map {
            IndexFile.Blob(id: $0.key.id, type: $0.key.type, offset: $0.location.offset, length: $0.location.length, rawLength: $0.location.rawLength)
        }
        try await repository.saveIndex(IndexFile(packs: [.init(id: finished.id, size: Int64(finished.bytes.count), blobs: blobs)]))
        return id
    }

    private func file(_ name: String, size: UInt64) -> TreeNode {
        var node = TreeNode(name: Array(name.utf8), type: .file)
        node.size = size
        return node
    }

    @Test("a tree node of size 2^64-1: stats fails with a damage error")
    func sizeMax() async throws {
        let fixture = try await BrowseFixture()
        let root = try await store(try Tree(nodes: [file("huge", size: .max)]), in: fixture.repository)
        let statistics = RepositoryStatistics(trees: try await fixture.trees())
        let error = try await #require(throws: RepositoryError.self) { try await statistics.restoreSize(of: [root]) }
        #expect(error.code == .damaged)
        await #expect(throws: RepositoryError.self) { try await statistics.rawData(of: [root]) }
    }

    @Test("sizes that add up past 2^63: stats fails with a damage error", arguments: [false, true])
    func sumOverflow(acrossSnapshots: Bool) async throws {
        let fixture = try await BrowseFixture()
        let statistics: RepositoryStatistics
        let roots: [Digest256]
        if acrossSnapshots {
            let first = try await store(try Tree(nodes: [file("a", size: UInt64(Int64.max))]), in: fixture.repository)
            let second = try await store(try Tree(nodes: [file("b", size: UInt64(Int64.max))]), in: fixture.repository)
            roots = [first, second]
        } else {
            roots = [try await store(try Tree(nodes: [file("a", size: UInt64(Int64.max)), file("b", size: 1)]), in: fixture.repository)]
        }
        statistics = RepositoryStatistics(trees: try await fixture.trees())
        let error = try await #require(throws: RepositoryError.self) { try await statistics.restoreSize(of: roots) }
        #expect(error.message.contains("8 EiB"))
    }

    @Test("the index totals of forged pack sizes stop at Int64.max")
    func totalsSaturate() async throws {
        let fixture = try await BrowseFixture()
        let huge = Int64.max / 2 + 1
        for seed in 0..<3 {
            let id = PackID(SHA256Hasher.hash([UInt8(seed)]))
            try await fixture.repository.saveIndex(IndexFile(packs: [.init(id: id, size: huge, blobs: [])]))
        }
        let totals = RepositoryStatistics.Totals(try await fixture.repository.loadIndex())
        #expect(totals.packs == 3)
        #expect(totals.packSize == .max)
    }
}
