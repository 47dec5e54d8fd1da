import Testing
import VaultCodecs
import VaultRepository
@testable import VaultOperations

/// The one snapshot-tree walker verify, prune and `stats` share, over trees
/// held in memory: each distinct tree once, damage traced to the snapshots
/// and paths it affects, and deep trees without deep recursion.
@Suite("Snapshot tree walker")
struct SnapshotTreeWalkerTests {
    /// Trees by ID; a missing ID cannot be loaded. Counts what the walker asks for.
    struct MemoryTrees: SnapshotTreeVisitor {
        var trees: [Digest256: Tree] = [:]
        /// Chunks that count as lost.
        var lostChunks: Set<Digest256> = []
        var loads: [Digest256: Int] = [:]
        var filesVisited: [String] = []
        var treesContainingThemselves: [Digest256] = []
        var finishedTrees: [Digest256] = []

        mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree? {
            loads[id, default: 0] += 1
            return trees[id]
        }

        mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool {
            filesVisited.append(node.displayName)
            return node.content.contains { lostChunks.contains($0) }
        }

        mutating func treeContainsItself(_ id: Digest256) {
            treesContainingThemselves.append(id)
        }

        mutating func finished(_ id: Digest256, isAffected: Bool, treesSeen: Int) {
            finishedTrees.append(id)
        }
    }

    private static func id(_ n: UInt64) -> Digest256 {
        Digest256(words: (n, 0x5eed, 0, 0))
    }

    private static func snapshot(_ n: UInt64) -> SnapshotID {
        SnapshotID(Digest256(words: (n, 0x5a9, 0, 0)))
    }

    private static func file(_ name: String, chunks: [Digest256] = []) -> TreeNode {
        var node = TreeNode(name: Array(name.utf8), type: .file)
        node.content = chunks
        return node
    }

    private static func directory(_ name: String, _ subtree: Digest256) -> TreeNode {
        var node = TreeNode(name: Array(name.utf8), type: .directory)
        node.subtree = subtree
        return node
    }

    /// The entries `forEachAffectedEntry` reports for a root, as `path` or `path (lost)`.
    private static func affectedEntries(_ walker: SnapshotTreeWalker, root: Digest256) -> [String] {
        var entries: [String] = []
        walker.forEachAffectedEntry(root: root) { path, _, isLostDirectory in
            entries.append(isLostDirectory ? "\(path) (lost)" : path)
        }
        return entries
    }

    @Test("a subtree shared by snapshots and directories is loaded and walked once")
    func eachSubtreeOnce() async throws {
        var trees = MemoryTrees()
        let shared = Self.id(1), rootA = Self.id(2), rootB = Self.id(3), middle = Self.id(4)
        trees.trees[shared] = try Tree(nodes: [Self.file("shared.txt")])
        trees.trees[middle] = try Tree(nodes: [Self.directory("again", shared), Self.file("m.txt")])
        trees.trees[rootA] = try Tree(nodes: [Self.directory("one", shared), Self.directory("two", middle)])
        trees.trees[rootB] = try Tree(nodes: [Self.directory("three", shared), Self.file("b.txt")])

        var walker = SnapshotTreeWalker()
        let affected = try await walker.walk(
            snapshots: [(Self.snapshot(1), rootA), (Self.snapshot(2), rootB)], visitor: &trees
        )

        #expect(affected.isEmpty)
        #expect(walker.lostTrees.isEmpty)
        #expect(walker.treesSeen == 4)
        #expect(trees.loads == [shared: 1, middle: 1, rootA: 1, rootB: 1])
        // Each tree's entries once, in tree order, a directory's before what follows it.
        #expect(trees.filesVisited == ["shared.txt", "m.txt", "b.txt"])
        // A tree finishes after everything below it.
        #expect(trees.finishedTrees == [shared, middle, rootA, rootB])
        #expect(walker.isAffected(rootA) == false)
        #expect(walker.isAffected(Self.id(99)) == nil)
    }

    @Test("a missing tree is loaded once and reported with every snapshot and path it affects")
    func missingTreeAffectsSnapshots() async throws {
        var trees = MemoryTrees()
        let missing = Self.id(1), rootA = Self.id(2), rootB = Self.id(3), rootC = Self.id(4), inner = Self.id(5)
        trees.trees[inner] = try Tree(nodes: [Self.directory("gone", missing), Self.file("kept.txt")])
        trees.trees[rootA] = try Tree(nodes: [Self.directory("home", inner), Self.file("a.txt")])
        trees.trees[rootB] = try Tree(nodes: [Self.directory("gone", missing)])
        trees.trees[rootC] = try Tree(nodes: [Self.file("c.txt")])

        var walker = SnapshotTreeWalker(keepsAffectedTrees: true)
        let affected = try await walker.walk(
            snapshots: [(Self.snapshot(1), rootA), (Self.snapshot(2), rootB), (Self.snapshot(3), rootC)], visitor: &trees
        )

        #expect(affected == [Self.snapshot(1), Self.snapshot(2)])
        #expect(walker.lostTrees == [missing])
        #expect(trees.loads[missing] == 1)
        #expect(walker.isAffected(rootC) == false)
        #expect(walker.isAffected(inner) == true)
        // Paths: the lost directory, and the files of affected trees for the caller to judge.
        #expect(Self.affectedEntries(walker, root: rootA) == ["/a.txt", "/home/gone (lost)", "/home/kept.txt"])
        #expect(Self.affectedEntries(walker, root: rootB) == ["/gone (lost)"])
        #expect(Self.affectedEntries(walker, root: rootC).isEmpty)
        // A walker that does not keep affected trees traces nothing, but still finds the snapshots.
        var plain = SnapshotTreeWalker()
        var again = trees
        #expect(try await plain.walk(root: rootB, visitor: &again))
        #expect(Self.affectedEntries(plain, root: rootB).isEmpty)
    }

    @Test("a missing root tree and a lost chunk make their snapshots affected")
    func missingRootAndLostChunk() async throws {
        var trees = MemoryTrees()
        let chunk = Self.id(100)
        let root = Self.id(2), sub = Self.id(3), missingRoot = Self.id(4)
        trees.trees[sub] = try Tree(nodes: [Self.file("damaged.bin", chunks: [Self.id(101), chunk]), Self.file("fine.bin", chunks: [Self.id(102)])])
        trees.trees[root] = try Tree(nodes: [Self.directory("dir", sub)])
        trees.lostChunks = [chunk]

        var walker = SnapshotTreeWalker(keepsAffectedTrees: true)
        let affected = try await walker.walk(
            snapshots: [(Self.snapshot(1), root), (Self.snapshot(2), missingRoot)], visitor: &trees
        )
        #expect(affected == [Self.snapshot(1), Self.snapshot(2)])
        #expect(walker.lostTrees == [missingRoot])
        #expect(Self.affectedEntries(walker, root: root) == ["/dir/damaged.bin", "/dir/fine.bin"])
        // Meeting the lost root again costs no load.
        #expect(try await walker.walk(root: missingRoot, visitor: &trees))
        #expect(trees.loads[missingRoot] == 1)
    }

    @Test("a tree that contains itself is reported and counted lost, not walked forever")
    func treeContainingItself() async throws {
        var trees = MemoryTrees()
        let loop = Self.id(1), root = Self.id(2)
        trees.trees[loop] = try Tree(nodes: [Self.directory("self", loop), Self.file("x")])
        trees.trees[root] = try Tree(nodes: [Self.directory("loop", loop)])

        var walker = SnapshotTreeWalker(keepsAffectedTrees: true)
        #expect(try await walker.walk(root: root, visitor: &trees))
        #expect(trees.treesContainingThemselves == [loop])
        #expect(walker.lostTrees == [loop])
        #expect(trees.loads[loop] == 1)
        #expect(Self.affectedEntries(walker, root: root) == ["/loop (lost)"])
    }

    @Test("a tree 5000 directories deep is walked without deep recursion, damage traced to its bottom")
    func deepTree() async throws {
        let depth: UInt64 = 5_000
        var trees = MemoryTrees()
        let lostChunk = Self.id(999_999)
        // Tree n holds directory "d" with tree n + 1; the deepest holds a file with a lost chunk.
        trees.trees[Self.id(depth)] = try Tree(nodes: [Self.file("bottom", chunks: [lostChunk])])
        for level in stride(from: depth - 1, through: 0, by: -1) {
            trees.trees[Self.id(level)] = try Tree(nodes: [Self.directory("d", Self.id(level + 1))])
        }
        trees.lostChunks = [lostChunk]

        var walker = SnapshotTreeWalker(keepsAffectedTrees: true)
        #expect(try await walker.walk(root: Self.id(0), visitor: &trees))
        #expect(walker.treesSeen == Int(depth) + 1)
        #expect(walker.isAffected(Self.id(0)) == true)
        let entries = Self.affectedEntries(walker, root: Self.id(0))
        #expect(entries.count == 1)
        #expect(entries.first == String(repeating: "/d", count: Int(depth)) + "/bottom")

        // Without damage the same depth is intact.
        trees.lostChunks = []
        var intact = SnapshotTreeWalker()
        #expect(try await intact.walk(root: Self.id(0), visitor: &trees) == false)
    }

    @Test("an error from the visitor stops the walk")
    func visitorErrorStops() async throws {
        struct Failing: SnapshotTreeVisitor {
            mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree? {
                throw RepositoryError(.damaged, "tree \(id.shortHex) is damaged")
            }
            mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool { false }
        }
        var visitor = Failing()
        var walker = SnapshotTreeWalker()
        await #expect(throws: RepositoryError.self) {
            try await walker.walk(root: Self.id(1), visitor: &visitor)
        }
    }
}
