import VaultCodecs
import VaultRepository

/// Finds the entries of snapshots whose names (or paths) match globs: `vault find`.
///
/// Searching many snapshots of the same file system reads little more
/// than the trees that differ between them: trees come through a
/// ``TreeCache``, and when every pattern matches names only, a subtree with
/// no match is remembered by its tree ID and skipped wherever it appears
/// again, in this snapshot or a later one (a tree ID always holds the same
/// names). Subtrees with matches are walked again to print their paths,
/// their trees usually from the cache. Patterns with a `/` match paths,
/// which depend on where a tree appears, so they get only the cache.
///
/// A search belongs to one task; it is not `Sendable`.
package final class SnapshotSearch {
    /// Where trees are read from.
    package let trees: TreeCache
    /// An entry matches when any of these does.
    package let patterns: [GlobPattern]
    /// Trees with no matching entry anywhere below them.
    private var treesWithoutMatches: Set<Digest256> = []
    /// Whether a tree's matches are the same wherever it appears.
    private let matchesDependOnNamesOnly: Bool

    /// Creates a search.
    ///
    /// - Parameters:
    ///   - patterns: The globs; an entry matches when any of them does.
    ///   - trees: Reads the snapshots' trees.
    package init(patterns: [GlobPattern], trees: TreeCache) {
        self.patterns = patterns
        self.trees = trees
        matchesDependOnNamesOnly = patterns.allSatisfy { !$0.matchesPaths }
    }

    /// How many trees are known to hold no match (for tests and statistics).
    package var treesKnownWithoutMatches: Int { treesWithoutMatches.count }

    /// Calls `visit` for each matching entry of the snapshot whose root
    /// tree is `root`, in path order (a directory before what it holds).
    ///
    /// - Parameters:
    ///   - root: The snapshot's root tree; paths start at `/`.
    ///   - visit: Called once per match.
    /// - Throws: ``RepositoryError`` when a tree cannot be read; whatever `visit` throws.
    package func search(root: Digest256, _ visit: (SnapshotEntry) throws -> Void) async throws {
        _ = try await search(tree: root, at: [UInt8(ascii: "/")], visit)
    }

    /// Searches one directory; returns whether anything below it matched.
    private func search(tree id: Digest256, at path: [UInt8], _ visit: (SnapshotEntry) throws -> Void) async throws -> Bool {
        if matchesDependOnNamesOnly, treesWithoutMatches.contains(id) {
            return false
        }
        var found = false
        for node in try await trees.tree(id).nodes {
            let childPath = PrintablePath.join(path, node.name)
            if patterns.contains(where: { $0.matches(name: node.name, path: childPath) }) {
                found = true
                try visit(SnapshotEntry(path: childPath, node: node))
            }
            if node.type == .directory, let subtree = node.subtree {
                if try await search(tree: subtree, at: childPath, visit) {
                    found = true
                }
            }
        }
        if matchesDependOnNamesOnly, !found {
            treesWithoutMatches.insert(id)
        }
        return found
    }
}
