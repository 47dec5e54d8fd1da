import VaultCodecs
import VaultRepository

/// Loads tree blobs for the walks of `ls`, `diff`, `find` and `stats`,
/// keeping the most recently loaded ones.
///
/// Consecutive snapshots share most of their trees, and a walk comes back
/// to the same tree (a directory listed twice, a subtree searched in one
/// snapshot after another), so a few thousand trees kept in memory save
/// most loads. The cache is bounded: when full it forgets the oldest tree.
///
/// A cache belongs to one task; it is not `Sendable`.
package final class TreeCache {
    /// The repository the trees are read from.
    package let repository: Repository
    /// Where the blobs are.
    package let index: ChunkIndex
    /// The most trees kept.
    package let capacity: Int
    /// How many tree blobs were read from the repository (not from the cache).
    package private(set) var loads = 0

    private var trees: [Digest256: Tree] = [:]
    /// Cached IDs, oldest first, starting at `oldest`.
    private var order: [Digest256] = []
    private var oldest = 0

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - repository: The repository to read from.
    ///   - index: The repository's index.
    ///   - capacity: The most trees kept in memory (at least 1).
    package init(repository: Repository, index: ChunkIndex, capacity: Int = 4096) {
        self.repository = repository
        self.index = index
        self.capacity = max(1, capacity)
    }

    /// The tree blob `id`, from memory or from the repository.
    ///
    /// - Throws: ``RepositoryError`` when the tree is missing or damaged.
    package func tree(_ id: Digest256) async throws(RepositoryError) -> Tree {
        if let tree = trees[id] {
            return tree
        }
        let tree = try await repository.loadTree(id, index: index)
        loads += 1
        if trees.count >= capacity {
            trees[order[oldest]] = nil
            oldest += 1
            if oldest >= capacity {
                order.removeFirst(oldest)
                oldest = 0
            }
        }
        trees[id] = tree
        order.append(id)
        return tree
    }

    /// The entries of a directory node: its tree's nodes (none for a node
    /// that is not a directory).
    package func children(of node: TreeNode) async throws(RepositoryError) -> [TreeNode] {
        guard node.type == .directory, let subtree = node.subtree else { return [] }
        return try await tree(subtree).nodes
    }
}
