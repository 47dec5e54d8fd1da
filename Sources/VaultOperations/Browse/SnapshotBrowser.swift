import VaultRepository

/// Lists what a snapshot holds below a path: `vault ls`.
package struct SnapshotBrowser {
    /// Where trees are read from.
    package let trees: TreeCache

    /// Creates a browser reading trees through `trees`.
    package init(trees: TreeCache) {
        self.trees = trees
    }

    /// Calls `visit` for each entry `entry` lists, in name-byte order.
    ///
    /// A directory lists its entries, not itself; with `recursive`, each
    /// subdirectory is followed by everything below it (depth first, as
    /// `find` prints). Any other entry lists just itself.
    ///
    /// - Parameters:
    ///   - entry: Where to start, e.g. a ``SnapshotLocation``'s entry.
    ///   - recursive: Whether to go down into subdirectories.
    ///   - visit: Called once per entry, in order.
    /// - Throws: ``RepositoryError`` when a tree cannot be read; whatever `visit` throws.
    package func list(_ entry: SnapshotEntry, recursive: Bool, _ visit: (SnapshotEntry) throws -> Void) async throws {
        guard entry.node.type == .directory else {
            try visit(entry)
            return
        }
        try await listChildren(of: entry, recursive: recursive, visit)
    }

    private func listChildren(of directory: SnapshotEntry, recursive: Bool, _ visit: (SnapshotEntry) throws -> Void) async throws {
        for node in try await trees.children(of: directory.node) {
            let child = SnapshotEntry(path: PrintablePath.join(directory.path, node.name), node: node)
            try visit(child)
            if recursive, node.type == .directory {
                try await listChildren(of: child, recursive: true, visit)
            }
        }
    }
}
