import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// `vault find` across real backups.
@Suite("Browse: find")
struct BrowseFindTests {
    /// Runs a search over snapshots; returns `SHORTID PATH` per match.
    private func find(
        _ patterns: [String], in snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], trees: TreeCache, ignoreCase: Bool = false
    ) async throws -> [String] {
        let search = SnapshotSearch(patterns: try patterns.map { try GlobPattern($0, ignoresCase: ignoreCase) }, trees: trees)
        var matches: [String] = []
        for snapshot in snapshots {
            try await search.search(root: snapshot.manifest.tree) { entry in
                matches.append("\(snapshot.id.shortHex) \(entry.printablePath)")
            }
        }
        return matches
    }

    @Test("matches names and paths across snapshots, in snapshot then path order")
    func matches() async throws {
        let fixture = try await BrowseFixture()
        try fixture.write("a.txt", "a")
        try fixture.makeDirectory("sub")
        try fixture.write("sub/b.txt", "b")
        try fixture.write("sub/c.log", "c")
        try fixture.write(".hidden.txt", "h")
        let first = try await fixture.backup().snapshotID.shortHex
        try fixture.remove("a.txt")
        try fixture.write("d.txt", "d")
        try fixture.makeDirectory("d.txt.dir")
        let second = try await fixture.backup().snapshotID.shortHex
        let snapshots = try await fixture.snapshots()
        let trees = try await fixture.trees()
        let source = fixture.source

        #expect(try await find(["*.txt"], in: snapshots, trees: trees) == [
            "\(first) \(source)/a.txt", "\(first) \(source)/sub/b.txt",
            "\(second) \(source)/d.txt", "\(second) \(source)/sub/b.txt",
        ])
        // Several patterns: any of them; directories match too.
        #expect(try await find(["*.log", "d.txt*"], in: snapshots, trees: trees) == [
            "\(first) \(source)/sub/c.log",
            "\(second) \(source)/d.txt", "\(second) \(source)/d.txt.dir", "\(second) \(source)/sub/c.log",
        ])
        // With '/', the whole path; '*' crosses directories.
        #expect(try await find(["\(source)/*.log"], in: snapshots, trees: trees) == [
            "\(first) \(source)/sub/c.log", "\(second) \(source)/sub/c.log",
        ])
        #expect(try await find(["*/sub"], in: Array(snapshots.suffix(1)), trees: trees) == ["\(second) \(source)/sub"])
        // A leading dot is matched only explicitly.
        #expect(try await find([".*"], in: Array(snapshots.prefix(1)), trees: trees) == ["\(first) \(source)/.hidden.txt"])
        #expect(try await find(["B.TXT"], in: Array(snapshots.prefix(1)), trees: trees, ignoreCase: true) == ["\(first) \(source)/sub/b.txt"])
        #expect(try await find(["nothing*"], in: snapshots, trees: trees).isEmpty)
    }

    @Test("a subtree without matches is read once across snapshots")
    func memoizesSubtreesWithoutMatches() async throws {
        let fixture = try await BrowseFixture()
        try fixture.makeDirectory("sub")
        try fixture.write("sub/wanted.log", "w")
        for index in 0..<10 {
            try fixture.makeDirectory("big/d\(index)")
            try fixture.write("big/d\(index)/f.txt", "file \(index)")
        }
        try await fixture.backup()
        try fixture.write("changed.txt", "forces new trees from / down to src")
        try await fixture.backup()
        let snapshots = try await fixture.snapshots()

        // A one-tree cache: only the search's memory can spare loads.
        let trees = try await fixture.trees(capacity: 1)
        let search = SnapshotSearch(patterns: [try GlobPattern("*.log")], trees: trees)
        var found: [[UInt8]] = []
        try await search.search(root: snapshots[0].manifest.tree) { found.append($0.path) }
        let firstLoads = trees.loads
        // /, the directories down to src, src, sub, big and its 10 subdirectories.
        #expect(firstLoads == fixture.sourceDepth + 1 + 1 + 1 + 10)
        // big and its subdirectories hold no match.
        #expect(search.treesKnownWithoutMatches == 11)

        try await search.search(root: snapshots[1].manifest.tree) { found.append($0.path) }
        // The second snapshot reads its new trees (/ down to src) and sub, which has a match; big is skipped.
        #expect(trees.loads - firstLoads == fixture.sourceDepth + 1 + 1)
        #expect(found == [fixture.snapshotPath("sub/wanted.log"), fixture.snapshotPath("sub/wanted.log")])
    }
}
