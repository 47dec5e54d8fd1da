import VaultRepository

/// Records a ``SyncState`` at the end of a sync that ended clean, but only
/// when the repository holds exactly the snapshots the sync saw plus the
/// ones it wrote, and those make the recorded base and head the ones the
/// next sync would find.
struct SyncStateRecorder {
    let shortcut: SyncShortcut
    let options: SyncOptions
    /// The names under `snapshots/` listed before the catalog was read.
    let names: Set<String>
    /// The catalog the sync worked from.
    let catalog: Repository.SnapshotCatalog
    /// The snapshots this sync wrote, in order.
    var written: [(id: SnapshotID, manifest: SnapshotManifest)] = []

    /// A recorder, when the listing and the catalog agree (no snapshot came or went between them).
    init?(_ shortcut: SyncShortcut, names: Set<String>?, catalog: Repository.SnapshotCatalog, options: SyncOptions) {
        guard let names, !options.dryRun else { return nil }
        let catalogued = Set(catalog.readable.map(\.id.hex)).union(catalog.damaged.map(\.id.hex))
        guard catalogued == Set(names.filter { SnapshotID(hex: $0) != nil }) else { return nil }
        self.shortcut = shortcut
        self.options = options
        self.names = names
        self.catalog = catalog
    }

    /// Writes the state for `base` and `head` with the folder's `listing`;
    /// does nothing when the repository changed beside the sync.
    func record(base: SnapshotID, head: SnapshotID, folder listing: SyncFolderListing, repository: Repository) async {
        guard let listed = try? await repository.list(.snapshots) else { return }
        let now = Set(listed.map(\.name.name))
        guard now == names.union(written.map(\.id.hex)) else { return }
        let all = (catalog.readable + written).sorted { ($0.manifest.time, $0.id) < ($1.manifest.time, $1.id) }
        let state = SyncSetState(options.name, snapshots: all, host: options.host)
        guard state.base?.id == base, state.head?.id == head, state.base?.manifest.sync?.head == head else { return }
        let manifests = Dictionary(all.map { ($0.id.hex, $0.manifest) }, uniquingKeysWith: { first, _ in first })
        var snapshots: [String: Bool] = [:]
        for name in now {
            // A name that does not read (damaged, or not an ID) counts as relevant: its going forces a full sync.
            snapshots[name] = manifests[name].map { SyncShortcut.isRelevant($0, set: options.name, host: options.host) } ?? true
        }
        shortcut.store.write(SyncState(identity: shortcut.identity, base: base, head: head, snapshots: snapshots, folder: listing))
    }
}
