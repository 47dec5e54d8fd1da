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

    /// The three sides of a merge, read together, skipping what cannot differ.
    struct Sides {
        var base: SyncListing?
        var local: SyncListing
        var head: SyncListing
        /// Directories listed without their entries: unchanged on both
        /// sides (the folder's subtree is the base's, the head's is the one
        /// the base was made to match), so nothing below them can merge
        /// into anything new.
        var opaque: Set<SyncPath>
    }

    /// Lists base, folder and head. With `previousHead` (the head the base
    /// matched exactly), a directory whose subtree is the base's in the
    /// folder and the previous head's in the head is not entered.
    static func sides(
        base: Digest256?, local: Digest256, head: Digest256?, previousHead: Digest256?, repository: Repository, index: ChunkIndex,
        cache: inout [Digest256: Tree], limit: Int = 50_000_000
    ) async throws(RepositoryError) -> Sides {
        var result = Sides(base: base == nil ? nil : [:], local: [:], head: [:], opaque: [])
        let prunes = base != nil && head != nil && previousHead != nil
        var pending: [(SyncPath?, Digest256?, Digest256?, Digest256?, Digest256?)] = [(nil, base, local, head, prunes ? previousHead : nil)]
        var count = 0
        while let (directory, b, l, h, previous) = pending.popLast() {
            let trees = try await (load(b, repository, index, &cache), load(l, repository, index, &cache), load(h, repository, index, &cache),
                                   load(previous, repository, index, &cache))
            let previousNodes = Dictionary(trees.3?.nodes.map { ($0.name, $0) } ?? [], uniquingKeysWith: { first, _ in first })
            var children: [[UInt8]: (TreeNode?, TreeNode?, TreeNode?)] = [:]
            for node in trees.0?.nodes ?? [] { children[node.name, default: (nil, nil, nil)].0 = node }
            for node in trees.1?.nodes ?? [] { children[node.name, default: (nil, nil, nil)].1 = node }
            for node in trees.2?.nodes ?? [] { children[node.name, default: (nil, nil, nil)].2 = node }
            for (name, (nb, nl, nh)) in children {
                let path = directory?.appending(name) ?? SyncPath(name)
                if let nb { result.base?[path] = nb }
                if let nl { result.local[path] = nl }
                if let nh { result.head[path] = nh }
                count += 1
                guard count <= limit, path.depth < 4096 else {
                    throw RepositoryError(.damaged, "tree \(local.shortHex) or its head is damaged: too many entries or nested too deep")
                }
                func subtree(_ node: TreeNode?) -> Digest256? { node?.type == .directory ? node?.subtree : nil }
                let (sb, sl, sh, sp) = (subtree(nb), subtree(nl), subtree(nh), subtree(previousNodes[name]))
                if sb == nil && sl == nil && sh == nil { continue }
                if let sb, let sh, let sp, sl == sb, sh == sp {
                    result.opaque.insert(path)
                    continue
                }
                pending.append((path, sb, sl, sh, sp))
            }
        }
        return result
    }

    private static func load(_ id: Digest256?, _ repository: Repository, _ index: ChunkIndex, _ cache: inout [Digest256: Tree]) async throws(RepositoryError) -> Tree? {
        guard let id else { return nil }
        if let cached = cache[id] { return cached }
        let tree = try await repository.loadTree(id, index: index)
        cache[id] = tree
        return tree
    }

    /// Stores a listing as tree blobs; returns the root tree's ID.
    ///
    /// Each directory's tree is built from its entries in the listing (its
    /// own `subtree` is replaced). Call ``RepositoryWriter/flush()`` after.
    ///
    /// A directory in `opaque` keeps the subtree its node names.
    static func store(_ listing: SyncListing, opaque: Set<SyncPath> = [], writer: inout RepositoryWriter) async throws(RepositoryError) -> Digest256 {
        var children: [SyncPath?: [TreeNode]] = [:]
        for (path, node) in listing {
            children[path.parent, default: []].append(node)
        }
        var subtrees: [SyncPath: Digest256] = [:]
        let directories = listing.filter { $0.value.type == .directory }.keys.sorted { ($0.depth, $0) > ($1.depth, $1) }
        for directory in directories {
            if opaque.contains(directory), let subtree = listing[directory]?.subtree {
                subtrees[directory] = subtree
                continue
            }
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
