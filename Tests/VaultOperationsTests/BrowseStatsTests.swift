import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// `vault stats` numbers, checked against the tree the test builds.
@Suite("Browse: stats")
struct BrowseStatsTests {
    /// Builds: a and b (the same 100 bytes), empty c, d/e (300 bytes) with
    /// the hard link d/h, two empty directories and a symlink.
    private func makeTree(_ fixture: BrowseFixture) throws -> (shared: [UInt8], e: [UInt8]) {
        let shared = pseudoRandomBytes(count: 100, seed: 1)
        let e = pseudoRandomBytes(count: 300, seed: 2)
        try fixture.write("a", shared)
        try fixture.write("b", shared)
        try fixture.write("c", [])
        try fixture.makeDirectory("d")
        try fixture.write("d/e", e)
        try fixture.hardLink("d/h", to: "d/e")
        try fixture.makeDirectory("empty1")
        try fixture.makeDirectory("empty2")
        try fixture.symlink("l", to: "a")
        return (shared, e)
    }

    @Test("restore-size: files, directories, others and sizes, hard links' data once per snapshot")
    func restoreSize() async throws {
        let fixture = try await BrowseFixture()
        _ = try makeTree(fixture)
        let first = try await fixture.backup()
        try fixture.write("f", pseudoRandomBytes(count: 50, seed: 3))
        let second = try await fixture.backup()

        let statistics = RepositoryStatistics(trees: try await fixture.trees())
        let one = try await statistics.restoreSize(of: [first.manifest.tree])
        #expect(one.snapshots == 1)
        #expect(one.files == 5)  // a, b, c, d/e, d/h
        #expect(one.directories == fixture.sourceDepth + 3)  // the way to src and src, d, empty1, empty2
        #expect(one.others == 1)
        #expect(one.totalSize == 100 + 100 + 0 + 300)
        // The backup's own total counts the hard link twice.
        #expect(first.manifest.summary.bytesTotal == 800)

        let both = try await statistics.restoreSize(of: [first.manifest.tree, second.manifest.tree])
        #expect(both.snapshots == 2)
        #expect(both.files == 5 + 6)
        #expect(both.directories == 2 * (fixture.sourceDepth + 3))
        #expect(both.others == 2)
        #expect(both.totalSize == 500 + 550)
    }

    @Test("raw-data: distinct blobs with their index sizes; totals from the index match the pack files")
    func rawData() async throws {
        let fixture = try await BrowseFixture(encrypted: false, compression: .none)
        _ = try makeTree(fixture)
        let first = try await fixture.backup()
        try fixture.write("f", pseudoRandomBytes(count: 50, seed: 3))
        let second = try await fixture.backup()

        let trees = try await fixture.trees()
        let statistics = RepositoryStatistics(trees: trees)

        // Distinct trees and their plaintext sizes, found independently.
        func distinctTrees(_ roots: [Digest256]) async throws -> [Digest256: Int] {
            var sizes: [Digest256: Int] = [:]
            var pending = roots
            while let id = pending.popLast() {
                let tree = try await fixture.repository.loadTree(id, index: trees.index)
                sizes[id] = tree.encoded().count
                pending += tree.nodes.compactMap(\.subtree)
            }
            return sizes
        }

        let one = try await statistics.rawData(of: [first.manifest.tree])
        let firstTrees = try await distinctTrees([first.manifest.tree])
        // /, the directories down to src, src, d, and one tree for both empty directories.
        #expect(firstTrees.count == fixture.sourceDepth + 3)
        #expect(one.treeBlobs == firstTrees.count)
        #expect(one.dataBlobs == 2)  // a and b share one chunk; c has none; d/h is d/e
        #expect(one.rawSize == Int64(100 + 300 + firstTrees.values.reduce(0, +)))
        // Plain and uncompressed: each stored blob is its plaintext and one codec byte.
        #expect(one.storedSize == one.rawSize + Int64(one.dataBlobs + one.treeBlobs))
        #expect(one.missingBlobs == 0)
        #expect(one.compressionRatio == Double(one.rawSize) / Double(one.storedSize))

        let both = try await statistics.rawData(of: [first.manifest.tree, second.manifest.tree])
        let allTrees = try await distinctTrees([first.manifest.tree, second.manifest.tree])
        #expect(both.dataBlobs == 3)
        #expect(both.treeBlobs == allTrees.count)
        #expect(both.rawSize == Int64(450 + allTrees.values.reduce(0, +)))

        // Every blob is used, so the repository totals hold the same blobs.
        let index = try await fixture.repository.loadIndex()
        let totals = RepositoryStatistics.Totals(index)
        #expect(totals.dataBlobs == both.dataBlobs)
        #expect(totals.treeBlobs == both.treeBlobs)
        #expect(totals.rawSize == both.rawSize)
        #expect(totals.storedSize == both.storedSize)
        var packFiles: [String: Int64] = [:]
        let dataFolder = fixture.directory + "/repo/data"
        for shard in try FileManager.default.contentsOfDirectory(atPath: dataFolder) {
            for name in try FileManager.default.contentsOfDirectory(atPath: dataFolder + "/" + shard) {
                let attributes = try FileManager.default.attributesOfItem(atPath: dataFolder + "/" + shard + "/" + name)
                packFiles[name] = (attributes[.size] as? NSNumber)?.int64Value
            }
        }
        #expect(totals.packs == packFiles.count)
        #expect(totals.packSize == packFiles.values.reduce(0, +))
    }
}
