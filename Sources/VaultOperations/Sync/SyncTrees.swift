import VaultCodecs
import VaultRepository

/// Turns a sync snapshot's trees into a ``SyncListing`` and back.
enum SyncTrees {
    /// Every entry below a root tree, by path.
    ///
    /// - Throws: ``RepositoryError`` when a tree is missing or damaged, or
    ///   when the trees hold more than `limit` entries.
    ///
    /// `cache` keeps the trees read: a folder's base, its scan and the head
    /// share most of their trees, which are then read once.
    static func listing(
        of root: Digest256, repository: Repository, index: ChunkIndex, cache: inout [Digest256: Tree], limit: Int = 50_000_000
    ) async throws(RepositoryError) -> SyncListing {
        var result: SyncListing = [:]
        var pending: [(SyncPath?, Digest256)] = [(nil, root)]
        while let (directory, id) = pending.popLast() {
            let tree: Tree
            if let cached = cache[id] {
                tree = cached
            } else {
                tree = try await repository.loadTree(id, index: index)
                cache[id] = tree
            }
            for node in tree.nodes {
                let path = directory?.appending(node.name) ?? SyncPath(node.name)
                result[path] = node
                guard result.count <= limit else {
                    throw RepositoryError(.damaged, "tree \(root.shortHex) is damaged: more than \(limit) entries")
                }
                if node.type == .directory, let subtree = node.subtree {
                    // A tree that contains itself would never end.
                    guard pending.count < 100_000, path.depth < 4096 else {
                        throw RepositoryError(.damaged, "tree \(root.shortHex) is damaged: nested too deep at '\(path)'")
                    }
                    pending.append((path, subtree))
                }
            }
        }
        return result
    }

    /// Stores a listing as tree blobs; returns the root tree's ID.
    ///
    /// Each directory's tree is built from its entries in the listing (its
    /// own `subtree` is replaced). Call ``RepositoryWriter/flush()`` after.
    static func store(_ listing: SyncListing, writer: inout RepositoryWriter) async throws(RepositoryError) -> Digest256 {
        var children: [SyncPath?: [TreeNode]] = [:]
        for (path, node) in listing {
            children[path.parent, default: []].append(node)
        }
        var subtrees: [SyncPath: Digest256] = [:]
        let directories = listing.filter { $0.value.type == .directory }.keys.sorted { ($0.depth, $0) > ($1.depth, $1) }
        for directory in directories {
            subtrees[directory] = try await writer.add(try tree(children[directory] ?? [], in: directory, subtrees: subtrees))
        }
        return try await writer.add(try tree(children[nil] ?? [], in: nil, subtrees: subtrees))
    }

    private static func tree(_ nodes: [TreeNode], in directory: SyncPath?, subtrees: [SyncPath: Digest256]) throws(RepositoryError) -> Tree {
        try Tree(nodes: nodes.map { node in
            var node = node
            if node.type == .directory {
                let path = directory?.appending(node.name) ?? SyncPath(node.name)
                node.subtree = subtrees[path]
            }
            return node
        })
    }
}
