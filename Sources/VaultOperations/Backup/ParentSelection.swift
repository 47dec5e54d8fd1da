import VaultCodecs
import VaultRepository

/// Which earlier snapshot a backup compares against, and what kind the
/// new snapshot becomes.
struct ParentSelection {
    /// The kind the snapshot will be.
    var kind: SnapshotKind
    /// The snapshot whose unchanged files are reused (incremental,
    /// differential), or used only to count changes (full).
    var parent: (id: SnapshotID, manifest: SnapshotManifest)?
    /// The last full snapshot of the same host and paths.
    var base: SnapshotID?
    /// Whether unchanged files are taken from the parent without reading them.
    var reusesUnchangedFiles: Bool
    /// Why the kind differs from the one asked for, if it does.
    var note: String?

    /// Chooses among the snapshots of the same host and path set.
    ///
    /// - Parameters:
    ///   - requested: The kind asked for.
    ///   - snapshots: Every snapshot, oldest first.
    ///   - host: This backup's host.
    ///   - paths: This backup's normalized paths.
    init(requested: SnapshotKind, snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], host: String, paths: [String]) {
        let sortedPaths = paths.sorted()
        // Sync snapshots are rooted at their folder, not at `/`: never a backup's parent.
        let related = snapshots.filter { $0.manifest.sync == nil && $0.manifest.host == host && $0.manifest.paths.sorted() == sortedPaths }
        let latest = related.last
        let latestFull = related.last { $0.manifest.kind == .full }
        base = latestFull?.id
        switch requested {
        case .full:
            kind = .full
            parent = latest
            reusesUnchangedFiles = false
        case .incremental where latest != nil:
            kind = .incremental
            parent = latest
            reusesUnchangedFiles = true
        case .differential where latestFull != nil:
            kind = .differential
            parent = latestFull
            reusesUnchangedFiles = true
        case .incremental, .differential:
            kind = .full
            parent = latest
            reusesUnchangedFiles = false
            note = latest == nil
                ? "no earlier snapshot of these paths on this host: this backup is full"
                : "no full snapshot of these paths on this host to be differential to: this backup is full"
        }
    }
}
