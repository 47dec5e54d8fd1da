import VaultCodecs
import VaultRepository

/// A snapshot and an entry inside it, as `SNAPSHOT[:PATH]` names them.
package struct SnapshotLocation: Sendable {
    /// The snapshot's ID.
    package var id: SnapshotID
    /// The snapshot.
    package var manifest: SnapshotManifest
    /// The entry: the path inside the snapshot (`/` for all of it) and its node.
    package var entry: SnapshotEntry

    /// Resolves a reference: the snapshot by ``SnapshotReference/resolve(in:host:paths:)``,
    /// then its `:PATH` (`/` when none is given).
    ///
    /// - Parameters:
    ///   - reference: The parsed `SNAPSHOT[:PATH]`.
    ///   - snapshots: Every readable snapshot, oldest first.
    ///   - damaged: The damaged snapshots' IDs.
    ///   - trees: The repository and index to read the trees on the way from.
    /// - Throws: ``OperationError`` with code `.snapshotNotFound` for an
    ///   unknown or ambiguous snapshot, `.pathNotFound` for a path that is
    ///   not in the snapshot; ``RepositoryError``.
    package init(
        _ reference: SnapshotReference, in snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], damaged: [SnapshotID] = [],
        trees: TreeCache
    ) async throws {
        let snapshot = try reference.resolve(in: snapshots, damaged: damaged)
        let path = reference.path ?? [UInt8(ascii: "/")]
        guard let node = try await trees.repository.node(at: path, root: snapshot.manifest.tree, index: trees.index) else {
            throw OperationError(.pathNotFound, "snapshot \(snapshot.id.shortHex) has no \(PrintablePath.escape(path))")
        }
        self.id = snapshot.id
        self.manifest = snapshot.manifest
        self.entry = SnapshotEntry(path: path, node: node)
    }
}
