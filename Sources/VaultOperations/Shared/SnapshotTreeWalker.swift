import VaultCodecs
import VaultRepository

/// What a ``SnapshotTreeWalker`` asks of its caller while it walks: how to
/// load a tree, and what to do with each entry that is not a directory.
///
/// Verify, prune and `stats` each load trees their own way (verify records
/// every bad copy, prune reads only packs that are present, `stats` throws
/// on the first bad tree) and look at different parts of a file entry, but
/// they walk alike, so they agree on what the snapshots reach.
package protocol SnapshotTreeVisitor {
    /// Loads the tree `id`, once per walker.
    ///
    /// - Returns: The tree, or `nil` when no copy of it can be read: the
    ///   walker then counts it, and every tree above it, as affected.
    /// - Throws: To stop the walk (cancellation, a lost lock, or a caller
    ///   that treats an unreadable tree as an error).
    mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree?

    /// Looks at an entry that is not a directory, in the order of its tree.
    ///
    /// - Returns: Whether something the entry needs (a file's chunk) is lost.
    mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool

    /// Called when the tree `id` turns out to contain itself, which only a
    /// forged repository can do (a tree cannot contain its own hash). The
    /// walker counts the tree as lost.
    mutating func treeContainsItself(_ id: Digest256)

    /// Called when a loaded tree and everything below it have been walked.
    ///
    /// - Parameters:
    ///   - isAffected: Whether something in or below it is lost.
    ///   - treesSeen: How many distinct trees the walker has met so far.
    mutating func finished(_ id: Digest256, isAffected: Bool, treesSeen: Int)
}

extension SnapshotTreeVisitor {
    package mutating func treeContainsItself(_ id: Digest256) {}
    package mutating func finished(_ id: Digest256, isAffected: Bool, treesSeen: Int) {}
}

/// Walks the trees of snapshots, each distinct tree once, and finds out
/// which of them have something lost in or below them.
///
/// Snapshots of the same file system share most of their trees; a tree is
/// named by the hash of its contents, so the walker remembers, per tree ID,
/// whether it was walked and whether something below it is lost, and never
/// walks it again, in the same snapshot or a later one.
///
/// Memory: one small state per distinct tree, plus the trees on the way
/// from the root to the current directory (the walk keeps its own stack, so
/// a deep tree does not deepen the call stack). No list of paths is held;
/// only trees with something lost below them are kept (when asked), to
/// trace the damage to paths afterwards with ``forEachAffectedEntry(root:rootPath:_:)``.
///
/// A walker belongs to one task; it is not `Sendable`.
package struct SnapshotTreeWalker {
    private enum State {
        case visiting
        case intact
        case affected
    }

    /// One directory being walked: its tree and how far the walk got.
    private struct Frame {
        let id: Digest256
        let tree: Tree
        var next = 0
        var isAffected = false
    }

    private var states: [Digest256: State] = [:]
    /// Trees that could not be loaded, or that contain themselves.
    package private(set) var lostTrees: Set<Digest256> = []
    /// Loaded trees with something lost below them (only when kept).
    package private(set) var affectedTrees: [Digest256: Tree] = [:]
    private let keepsAffectedTrees: Bool

    /// Creates a walker that has walked nothing.
    ///
    /// - Parameter keepsAffectedTrees: Whether to keep the loaded trees
    ///   that have something lost below them, for ``forEachAffectedEntry(root:rootPath:_:)``.
    package init(keepsAffectedTrees: Bool = false) {
        self.keepsAffectedTrees = keepsAffectedTrees
    }

    /// How many distinct trees were met (walked, lost or being walked).
    package var treesSeen: Int { states.count }

    /// Whether the tree was walked and something in or below it is lost;
    /// `nil` when it was not walked.
    package func isAffected(_ id: Digest256) -> Bool? {
        switch states[id] {
        case .intact: false
        case .affected: true
        case .visiting, nil: nil
        }
    }

    /// Walks the trees of snapshots, in the order given.
    ///
    /// - Parameter snapshots: Each snapshot's ID and root tree.
    /// - Returns: The snapshots with something lost in their trees.
    package mutating func walk<Visitor: SnapshotTreeVisitor>(
        snapshots: [(id: SnapshotID, root: Digest256)], visitor: inout Visitor
    ) async throws(RepositoryError) -> Set<SnapshotID> {
        var affected: Set<SnapshotID> = []
        for snapshot in snapshots where try await walk(root: snapshot.root, visitor: &visitor) {
            affected.insert(snapshot.id)
        }
        return affected
    }

    /// Walks a tree and everything below it that was not walked before.
    ///
    /// - Returns: Whether something in or below the tree is lost.
    @discardableResult
    package mutating func walk<Visitor: SnapshotTreeVisitor>(
        root: Digest256, visitor: inout Visitor
    ) async throws(RepositoryError) -> Bool {
        if let known = known(root, visitor: &visitor) {
            return known
        }
        guard let first = try await enter(root, visitor: &visitor) else {
            return true
        }
        var stack = [first]
        while let top = stack.indices.last {
            let nodes = stack[top].tree.nodes
            guard stack[top].next < nodes.count else {
                let frame = stack.removeLast()
                finish(frame, visitor: &visitor)
                guard let parent = stack.indices.last else {
                    return frame.isAffected
                }
                if frame.isAffected {
                    stack[parent].isAffected = true
                }
                continue
            }
            let node = nodes[stack[top].next]
            stack[top].next += 1
            guard node.type == .directory else {
                if visitor.visit(node, in: stack[top].id) {
                    stack[top].isAffected = true
                }
                continue
            }
            guard let subtree = node.subtree else {
                // A decoded directory always names its tree; count it lost all the same.
                stack[top].isAffected = true
                continue
            }
            if let known = known(subtree, visitor: &visitor) {
                if known {
                    stack[top].isAffected = true
                }
            } else if let child = try await enter(subtree, visitor: &visitor) {
                stack.append(child)
            } else {
                stack[top].isAffected = true
            }
        }
        return false
    }

    /// What is known of a tree met again: whether it is affected, or `nil`
    /// when it was not met before.
    private mutating func known<Visitor: SnapshotTreeVisitor>(_ id: Digest256, visitor: inout Visitor) -> Bool? {
        switch states[id] {
        case .intact:
            return false
        case .affected:
            return true
        case .visiting:
            lostTrees.insert(id)
            visitor.treeContainsItself(id)
            return true
        case nil:
            return nil
        }
    }

    /// Starts walking a tree: its frame, or `nil` when it cannot be loaded.
    private mutating func enter<Visitor: SnapshotTreeVisitor>(
        _ id: Digest256, visitor: inout Visitor
    ) async throws(RepositoryError) -> Frame? {
        states[id] = .visiting
        guard let tree = try await visitor.loadTree(id) else {
            states[id] = .affected
            lostTrees.insert(id)
            return nil
        }
        return Frame(id: id, tree: tree)
    }

    private mutating func finish<Visitor: SnapshotTreeVisitor>(_ frame: Frame, visitor: inout Visitor) {
        states[frame.id] = frame.isAffected ? .affected : .intact
        if frame.isAffected, keepsAffectedTrees, !lostTrees.contains(frame.id) {
            affectedTrees[frame.id] = frame.tree
        }
        visitor.finished(frame.id, isAffected: frame.isAffected, treesSeen: states.count)
    }

    /// Traces the damage found below a walked root to paths: calls `body`
    /// for every entry of an affected tree that is not a directory (the
    /// caller decides whether what it needs is lost), and for every
    /// directory whose tree is lost; goes down into affected directories.
    /// Needs a walker that keeps affected trees.
    ///
    /// - Parameters:
    ///   - root: A root tree this walker walked.
    ///   - rootPath: The path of the root tree's entries' parent (`/`).
    ///   - body: Called with each entry's path, its node, and whether it is
    ///     a directory whose tree is lost.
    package func forEachAffectedEntry(
        root: Digest256, rootPath: String = "/", _ body: (_ path: String, _ node: TreeNode, _ isLostDirectory: Bool) -> Void
    ) {
        guard let tree = affectedTrees[root] else { return }
        // Depth first in tree order, as a recursive walk would go.
        var stack: [(nodes: [TreeNode], path: String, next: Int)] = [(tree.nodes, rootPath, 0)]
        while let top = stack.indices.last {
            guard stack[top].next < stack[top].nodes.count else {
                stack.removeLast()
                continue
            }
            let node = stack[top].nodes[stack[top].next]
            stack[top].next += 1
            let path = Self.join(stack[top].path, node.displayName)
            guard node.type == .directory else {
                body(path, node, false)
                continue
            }
            let subtree = node.subtree ?? .zero
            if lostTrees.contains(subtree) {
                body(path, node, true)
            } else if let affected = affectedTrees[subtree] {
                stack.append((affected.nodes, path, 0))
            }
        }
    }

    private static func join(_ parent: String, _ name: String) -> String {
        parent.hasSuffix("/") ? parent + name : parent + "/" + name
    }
}
