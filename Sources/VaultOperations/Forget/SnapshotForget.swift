import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault forget`: removes snapshot objects, chosen by ID or by a
/// ``RetentionPolicy`` applied to each group of snapshots.
///
/// Only snapshot objects are removed (under the exclusive lock); the data
/// they alone used stays until `vault prune`.
package struct SnapshotForget {
    /// What to forget.
    package struct Options: Sendable {
        /// Snapshots named on the command line; with IDs, no policy applies.
        package var references: [SnapshotReference] = []
        /// The policy, for the snapshots the filter accepts.
        package var policy = RetentionPolicy()
        /// Which snapshots the policy looks at.
        package var filter = SnapshotFilter()
        /// How they are grouped.
        package var grouping = SnapshotGrouping.hostAndPaths
        /// Only say what would be removed.
        package var dryRun = false
        /// Let the policy or the IDs remove the newest clean snapshot before
        /// a suspect one (``cleanSnapshotsToProtect(_:)``), which is kept
        /// otherwise.
        package var allowRemovingClean = false

        package init() {}
    }

    /// What forget decided for one group.
    package struct Group: Sendable {
        package var key: SnapshotGroupKey
        /// Kept snapshots with their reasons, newest first.
        package var kept: [(id: SnapshotID, manifest: SnapshotManifest, reasons: [RetentionReason])]
        /// Removed snapshots, newest first.
        package var removed: [(id: SnapshotID, manifest: SnapshotManifest)]
    }

    /// What forget did (or would do).
    package struct Outcome: Sendable {
        /// One entry per group (one group "explicit IDs" when IDs were given).
        package var groups: [Group] = []
        /// Snapshots that cannot be read (damaged): a policy leaves them alone.
        package var unreadable: [SnapshotID] = []
        /// Unreadable snapshots removed because their IDs were given.
        package var removedUnreadable: [SnapshotID] = []
        /// Every snapshot removed, or to remove with a dry run.
        package var removed: [SnapshotID] { groups.flatMap { $0.removed.map(\.id) } + removedUnreadable }
    }

    package var repository: Repository
    package var options: Options

    package init(repository: Repository, options: Options) {
        self.repository = repository
        self.options = options
    }

    /// Decides, then removes the snapshots (unless a dry run), under the exclusive lock.
    ///
    /// - Throws: ``OperationError`` `.invalidArgument` when neither IDs nor
    ///   a policy are given, or when the policy would remove every snapshot
    ///   of a group; `.snapshotNotFound`; ``RepositoryError`` (`.locked`).
    package func run() async throws -> Outcome {
        guard !options.references.isEmpty || !options.policy.isEmpty else {
            throw OperationError(.invalidArgument, "no snapshot IDs and no --keep-* rule given: refusing to forget (forgetting everything is never a default)")
        }
        return try await PruneLockScope.exclusive(repository) { _ in
            var snapshots: [(id: SnapshotID, manifest: SnapshotManifest)] = []
            var unreadable: [SnapshotID] = []
            for info in try await repository.list(.snapshots) {
                guard let id = SnapshotID(hex: info.name.name) else { continue }
                if let manifest = try await loadIfReadable(id) {
                    snapshots.append((id, manifest))
                } else {
                    unreadable.append(id)
                }
            }
            let outcome = try Self.decide(snapshots, unreadable: unreadable, options: options)
            if !options.dryRun {
                for id in outcome.removed {
                    try await removeSnapshot(id)
                }
            }
            return outcome
        }
    }

    /// The decision alone: which snapshots are kept and removed, and why.
    ///
    /// - Parameter unreadable: Snapshots that exist but cannot be read; they
    ///   are removed only when named by ID.
    /// A pure function of the snapshots and the options: no repository is read.
    package static func decide(
        _ snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], unreadable: [SnapshotID] = [], options: Options
    ) throws -> Outcome {
        var outcome = Outcome()
        outcome.unreadable = unreadable
        if !options.references.isEmpty {
            var removed: [SnapshotID: SnapshotManifest] = [:]
            for reference in options.references {
                if case .prefix(let prefix) = reference.selector {
                    let damaged = unreadable.filter { $0.hex.hasPrefix(prefix) }
                    let readable = snapshots.filter { $0.id.hex.hasPrefix(prefix) }.count
                    if damaged.count + readable > 1 {
                        throw OperationError(.snapshotNotFound, "snapshot ID \(prefix) is ambiguous: it matches \(damaged.count + readable) snapshots; give more digits")
                    }
                    if let id = damaged.first {
                        if !outcome.removedUnreadable.contains(id) { outcome.removedUnreadable.append(id) }
                        continue
                    }
                }
                let found = try reference.resolve(in: snapshots)
                removed[found.id] = found.manifest
            }
            let syncState = SyncSetState.protectedSnapshots(snapshots)
            if let named = removed.keys.sorted().first(where: syncState.contains) {
                let set = removed[named]?.sync?.set ?? ""
                throw OperationError(
                    .invalidArgument,
                    "snapshot \(named.shortHex) is the head or a host's base of sync set '\(set)': forget never removes it "
                        + "(the next sync of the set writes newer ones)"
                )
            }
            if !options.allowRemovingClean {
                for protected in cleanSnapshotsToProtect(snapshots) where removed[protected.id] != nil {
                    throw OperationError(
                        .invalidArgument,
                        "snapshot \(protected.id.shortHex) is the last clean snapshot before suspect snapshot \(protected.suspectID.shortHex) "
                            + "(files that looked encrypted by ransomware): refusing to forget it; add --allow-removing-clean if you are sure"
                    )
                }
            }
            let sorted = removed.map { (id: $0.key, manifest: $0.value) }.sorted { ($0.manifest.time, $0.id) > ($1.manifest.time, $1.id) }
            outcome.groups.append(Group(key: SnapshotGroupKey(), kept: [], removed: sorted))
            return outcome
        }
        // The clean snapshot before each suspect one stays, whatever the policy says;
        // so do the heads and bases of sync sets, always.
        var protected: [SnapshotID: RetentionRule] = [:]
        if !options.allowRemovingClean {
            for entry in cleanSnapshotsToProtect(snapshots) where protected[entry.id] == nil {
                protected[entry.id] = .lastCleanBefore(entry.suspectID)
            }
        }
        let manifests = Dictionary(snapshots.map { ($0.id, $0.manifest) }, uniquingKeysWith: { first, _ in first })
        for id in SyncSetState.protectedSnapshots(snapshots) {
            protected[id] = .syncState(manifests[id]?.sync?.set ?? "")
        }
        let selected = options.filter.apply(to: snapshots)
        for (key, members) in options.grouping.groups(of: selected) {
            let byID = Dictionary(members.map { ($0.id, $0.manifest) }, uniquingKeysWith: { first, _ in first })
            let result = options.policy.apply(to: members.map { RetentionCandidate(id: $0.id, manifest: $0.manifest) })
            guard !result.kept.isEmpty else {
                throw OperationError(
                    .invalidArgument,
                    "the policy keeps no snapshot of the group \(key) (\(members.count) snapshots): refusing; "
                        + "to forget a whole group, name its snapshots by ID"
                )
            }
            var group = Group(
                key: key,
                kept: result.kept.compactMap { kept in byID[kept.snapshot.id].map { (kept.snapshot.id, $0, kept.reasons) } },
                removed: result.removed.compactMap { candidate in byID[candidate.id].map { (candidate.id, $0) } }
            )
            for removed in group.removed {
                guard let rule = protected[removed.id] else { continue }
                group.kept.append((removed.id, removed.manifest, [RetentionReason(rule: rule)]))
            }
            group.removed.removeAll { protected[$0.id] != nil }
            group.kept.sort { ($0.manifest.time, $0.id) > ($1.manifest.time, $1.id) }
            outcome.groups.append(group)
        }
        return outcome
    }

    /// A snapshot's manifest, or `nil` when it is damaged or of an unknown version.
    private func loadIfReadable(_ id: SnapshotID) async throws(RepositoryError) -> SnapshotManifest? {
        do {
            return try await repository.loadSnapshot(id)
        } catch {
            guard error.code == .damaged || error.code == .unsupportedVersion else { throw error }
            return nil
        }
    }

    private func removeSnapshot(_ id: SnapshotID) async throws(RepositoryError) {
        let name = ObjectName(id)
        do {
            try await repository.storage.delete(name)
        } catch where error.code == .notFound {
            // Already gone (a concurrent forget before we locked, or a retry).
        } catch {
            throw RepositoryError(error)
        }
    }
}
