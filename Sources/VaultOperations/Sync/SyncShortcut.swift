import VaultCodecs
import VaultPOSIX
import VaultRepository
import VaultStorage

/// Decides, from the host's ``SyncState`` and without the repository's
/// key, whether a sync has nothing to do (README, "Sync").
///
/// The names under `snapshots/` are listed first, then the folder is
/// walked (``SyncFolderListing``). Nothing changed when the folder's
/// listing is the recorded one, no relevant snapshot is gone, and no
/// snapshot was added: the sync is then over as soon as it started,
/// without deriving the key, taking the lock or loading the index. (It
/// is the sync that would have run at the moment the names were listed:
/// a folder whose listing is unchanged at the walk was unchanged then.)
/// When the only difference is snapshots added since, the key is needed
/// to read just those manifests: if none is a head of the set or a base
/// of this host for it, nothing changed either. Anything else, and any
/// failure on the way, is a full sync. When the names alone show that
/// the key will be needed (``Prepared/needsTheKeyWhateverTheFolder``),
/// the sync derives it while the folder is walked.
package struct SyncShortcut: Sendable {
    /// What the check found.
    package enum Verdict: Sendable, Equatable {
        /// Neither the folder nor the set's relevant snapshots changed.
        case unchanged
        /// The folder did not change and snapshots were added: read them to decide.
        case snapshotsAdded
        /// Something changed, or the state cannot tell: sync in full.
        case sync
    }

    /// Where the state lives.
    package let store: SyncStateStore
    /// Whose state it is.
    package let identity: SyncStateIdentity
    /// The recorded state, when there is a valid one for ``identity``.
    package let recorded: SyncState?
    /// The names under `snapshots/` at the check.
    package let names: Set<String>
    /// The folder at the check, before any scan; `nil` when the walk failed.
    package let listing: SyncFolderListing?
    /// What the check found.
    package let verdict: Verdict

    /// Checks the state of `options`' set and folder in `store`.
    ///
    /// - Returns: `nil` when the repository's identity or the folder cannot
    ///   be established (the sync then runs in full and reports why).
    package static func check(storage: any Storage, options: SyncOptions, store: SyncStateStore) async -> SyncShortcut? {
        await prepare(storage: storage, options: options, store: store)?.walk()
    }

    /// The part of the check before the folder's walk: the repository's
    /// identity, the names under `snapshots/` and the recorded state.
    package struct Prepared: Sendable {
        /// Where the state lives.
        package let store: SyncStateStore
        /// Whose state it is.
        package let identity: SyncStateIdentity
        /// The recorded state, when there is a valid one for ``identity``.
        package let recorded: SyncState?
        /// The names under `snapshots/`.
        package let names: Set<String>

        /// Whether the key will be needed whatever the walk finds: there is
        /// no recorded state, a relevant snapshot it names is gone, or a
        /// snapshot was added. The verdict can then only be
        /// ``Verdict/sync`` or ``Verdict/snapshotsAdded``, never
        /// ``Verdict/unchanged`` (``SyncShortcut/verdict``), so the key may
        /// be derived while the folder is walked.
        package var needsTheKeyWhateverTheFolder: Bool {
            guard let recorded else { return true }
            if recorded.snapshots.contains(where: { name, relevant in relevant && !names.contains(name) }) {
                return true
            }
            return !names.allSatisfy { recorded.snapshots[$0] != nil }
        }

        /// Walks the folder (after the names were listed: a folder
        /// unchanged now was unchanged when they were listed) and decides.
        package func walk() -> SyncShortcut {
            let listing = try? SyncFolderListing.read(identity.folder)
            return SyncShortcut(store: store, identity: identity, recorded: recorded, names: names, listing: listing)
        }
    }

    /// The check up to the folder's walk; `nil` when the repository's
    /// identity or the folder cannot be established.
    package static func prepare(storage: any Storage, options: SyncOptions, store: SyncStateStore) async -> Prepared? {
        guard let folder = try? Sync.folderPath(options.directory),
              let config = try? await storage.get(.config),
              let listed = try? await storage.listAll(.snapshots) else { return nil }
        let identity = SyncStateIdentity(
            location: storage.location, config: SHA256Hasher.hash(config), set: options.name, host: options.host, folder: folder
        )
        return Prepared(store: store, identity: identity, recorded: store.read(identity), names: Set(listed.map(\.name.name)))
    }

    init(store: SyncStateStore, identity: SyncStateIdentity, recorded: SyncState?, names: Set<String>, listing: SyncFolderListing?) {
        self.store = store
        self.identity = identity
        self.recorded = recorded
        self.names = names
        self.listing = listing
        verdict = Self.verdict(recorded: recorded, names: names, listing: listing)
    }

    private static func verdict(recorded: SyncState?, names: Set<String>, listing: SyncFolderListing?) -> Verdict {
        guard let recorded, let listing, listing == recorded.folder else { return .sync }
        if recorded.snapshots.contains(where: { name, relevant in relevant && !names.contains(name) }) {
            return .sync
        }
        return names.allSatisfy { recorded.snapshots[$0] != nil } ? .unchanged : .snapshotsAdded
    }

    /// The host's base the folder is known to still match: the recorded
    /// base, when the folder's listing is the recorded one.
    package var folderMatchesBase: SnapshotID? {
        guard let recorded, let listing, listing == recorded.folder else { return nil }
        return recorded.base
    }

    /// For ``Verdict/snapshotsAdded``: reads the added manifests; when
    /// none is relevant, records the new names and returns `true`
    /// (nothing changed).
    package func addedSnapshotsAreUnrelated(in repository: Repository) async -> Bool {
        guard verdict == .snapshotsAdded, let recorded, let listing else { return false }
        var snapshots = recorded.snapshots.filter { names.contains($0.key) }
        for name in names where snapshots[name] == nil {
            guard let id = SnapshotID(hex: name), let manifest = try? await repository.loadSnapshot(id),
                  !Self.isRelevant(manifest, set: identity.set, host: identity.host) else { return false }
            snapshots[name] = false
        }
        var state = recorded
        state.snapshots = snapshots
        state.folder = listing
        store.write(state)
        return true
    }

    /// Whether a snapshot decides the set's head or this host's base.
    static func isRelevant(_ manifest: SnapshotManifest, set: String, host: String) -> Bool {
        guard let sync = manifest.sync, sync.set == set else { return false }
        switch sync.role {
        case .head: return true
        case .base: return manifest.host == host
        case .local: return false
        }
    }
}

extension Sync {
    /// The folder's absolute path, as the sync and its state name it.
    ///
    /// - Throws: ``OperationError`` (`.invalidArgument`) when there is none.
    static func folderPath(_ directory: String) throws -> [UInt8] {
        let workingDirectory = try FileSystem.currentDirectory().bytes
        guard let folder = SourcePaths([directory], workingDirectory: workingDirectory).paths.first else {
            throw OperationError(.invalidArgument, "no folder to sync")
        }
        return folder
    }

    /// Runs a sync, skipping it when the host's state shows that nothing
    /// changed (``SyncShortcut``), and recording the state after a sync
    /// that ends clean.
    ///
    /// - Parameters:
    ///   - storage: The repository's storage.
    ///   - options: What to do.
    ///   - store: Where the host's sync states are; `nil` for none.
    ///   - interrupt: Raised by Ctrl-C or SIGTERM.
    ///   - open: Opens the repository (derives the key); called only when needed.
    /// - Throws: As ``run()``, and what `open` throws.
    package static func run(
        storage: any Storage, options: SyncOptions, store: SyncStateStore?, interrupt: InterruptFlag = InterruptFlag(),
        open: (any Storage) async throws -> Repository
    ) async throws -> SyncResult {
        guard SyncOptions.isValidSetName(options.name) else {
            throw OperationError(.invalidArgument, "invalid sync set name '\(options.name)'")
        }
        let prepared: SyncShortcut.Prepared? = if let store { await SyncShortcut.prepare(storage: storage, options: options, store: store) } else { nil }
        var opened: Repository?
        let shortcut: SyncShortcut?
        if let prepared, prepared.needsTheKeyWhateverTheFolder {
            // The walk cannot spare the key here: derive it (scrypt, one core) while the folder is walked (the other).
            async let walked = prepared.walk()
            opened = try await open(storage)
            shortcut = await walked
        } else {
            shortcut = prepared?.walk()
        }
        if let shortcut, shortcut.verdict == .unchanged, let recorded = shortcut.recorded {
            return .unchangedByState(head: recorded.head)
        }
        let repository: Repository
        if let opened { repository = opened } else { repository = try await open(storage) }
        if let shortcut, shortcut.verdict == .snapshotsAdded, let recorded = shortcut.recorded,
           await shortcut.addedSnapshotsAreUnrelated(in: repository) {
            return .unchangedByState(head: recorded.head)
        }
        var sync = Sync(repository: repository, options: options, interrupt: interrupt)
        sync.shortcut = shortcut
        return try await sync.run()
    }
}

extension SyncResult {
    /// The result of a sync the state showed to have nothing to do.
    static func unchangedByState(head: SnapshotID) -> SyncResult {
        let empty = SyncPlanner(base: [:], local: [:], head: [:], mode: .readWrite, conflictName: ConflictName(host: "", time: Timestamp.now())).plan()
        return SyncResult(
            plan: empty, headID: head, wroteHead: false, baseID: nil, localSnapshotID: nil, skipped: [], warnings: [], unchanged: true,
            checkedByState: true
        )
    }
}
