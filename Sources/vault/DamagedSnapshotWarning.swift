import VaultOperations
import VaultRepository

/// What browsing commands say when some snapshot files are damaged: they
/// work on the readable snapshots, and say which were left out, so that
/// `latest` never silently means an older snapshot than the newest one.
enum DamagedSnapshotWarning {
    /// Writes one warning line naming the damaged snapshots, if any.
    static func emit(for catalog: Repository.SnapshotCatalog) {
        emit(for: catalog.damaged.map(\.id))
    }

    /// Writes one warning line naming the damaged snapshots, if any.
    static func emit(for damaged: [SnapshotID]) {
        guard !damaged.isEmpty else { return }
        let count = damaged.count
        let names = damaged.prefix(5).map(\.shortHex).joined(separator: ", ") + (count > 5 ? ", …" : "")
        StandardError.line(
            "vault: warning: \(count) damaged snapshot\(count == 1 ? " was" : "s were") left out (\(names)); "
                + "'vault snapshots' says why, 'vault repair snapshots --forget-damaged' removes them"
        )
    }
}
