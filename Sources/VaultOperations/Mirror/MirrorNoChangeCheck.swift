import VaultStorage

/// Decides, from listings alone and without the repository's key, whether
/// a mirror has nothing to do (README, "Mirror"; docs/reliability.md).
///
/// The mirror is already complete when, in this order:
/// 1. neither location holds a lock file (any: shared, exclusive, stale
///    or unreadable; they are sealed, so which kind cannot be told
///    without the key);
/// 2. the two `config` objects are byte-identical;
/// 3. every other kind lists the same names with the same sizes on both
///    sides (what a full run calls "already there": it compares sizes
///    too, and copies nothing and removes nothing then);
/// 4. neither location holds a lock file still.
///
/// Then a full run would take its locks, list, find nothing to copy or
/// remove, and release them: it writes nothing, so its locks would have
/// protected nothing. The two lock listings keep the one thing a lock
/// does for a run that writes nothing: a run that finds another
/// process's lock (a prune on either side, a backup on the source) goes
/// the full way, and reports `locked` as it always did when that lock
/// conflicts. Both storages must list what was written before the listing
/// began (``StorageCapabilities/listingIsImmediatelyConsistent``);
/// elsewhere (S3) the full run is taken. Any failure on the way also
/// means the full run, which reports it.
///
/// What the check gives up, stated: the password is not checked (it is
/// not derived), as with sync's state file; the next mirror that copies
/// something needs it.
extension RepositoryMirror {
    /// The kinds compared, in the order a mirror lists them (manifests
    /// before the packs they name).
    static let comparedKinds: [ObjectKind] = [.keys, .snapshots, .index, .data]

    /// A summary of a mirror that had nothing to do, when the listings
    /// show the destination already holding exactly the source's objects
    /// and no lock on either side; `nil` when a full run is needed.
    ///
    /// - Parameters:
    ///   - source: The repository's storage.
    ///   - destination: The mirror's storage.
    package static func unchangedSummary(source: any Storage, destination: any Storage) async -> Summary? {
        guard source.capabilities.listingIsImmediatelyConsistent, destination.capabilities.listingIsImmediatelyConsistent else {
            return nil
        }
        guard await holdsNoLock(source), await holdsNoLock(destination) else { return nil }
        guard let sourceConfig = try? await source.get(.config), let destinationConfig = try? await destination.get(.config),
              sourceConfig == destinationConfig else { return nil }
        var unchanged = 0
        for kind in comparedKinds {
            guard let sourceObjects = await sizes(source, kind), let destinationObjects = await sizes(destination, kind),
                  sourceObjects == destinationObjects else { return nil }
            unchanged += sourceObjects.count
        }
        guard await holdsNoLock(source), await holdsNoLock(destination) else { return nil }
        var summary = Summary()
        summary.unchanged = unchanged
        return summary
    }

    /// Whether `storage` lists no lock file at all (a failed listing counts as a lock).
    private static func holdsNoLock(_ storage: any Storage) async -> Bool {
        guard let locks = try? await storage.listAll(.locks) else { return false }
        return locks.isEmpty
    }

    /// Each object of one kind with its size; `nil` when listing fails or lists a name twice.
    private static func sizes(_ storage: any Storage, _ kind: ObjectKind) async -> [ObjectName: Int64]? {
        guard let objects = try? await storage.listAll(kind) else { return nil }
        var result: [ObjectName: Int64] = [:]
        result.reserveCapacity(objects.count)
        for object in objects {
            guard result.updateValue(object.size, forKey: object.name) == nil else { return nil }
        }
        return result
    }
}
