import VaultCodecs
import VaultRepository

/// The snapshots of one host and one set of backed-up paths: the line
/// along which backups find their parents.
package struct SnapshotLineage: Sendable, Hashable {
    /// The host.
    package var host: String
    /// The backed-up paths, sorted.
    package var paths: [String]

    /// The lineage a snapshot belongs to.
    package init(_ manifest: SnapshotManifest) {
        host = manifest.host
        paths = manifest.paths.sorted()
    }

    /// The lineage of a host and path set.
    package init(host: String, paths: [String]) {
        self.host = host
        self.paths = paths.sorted()
    }
}

/// A snapshot kept whatever a `forget` policy says: the newest clean
/// snapshot before a suspect one.
package struct ProtectedCleanSnapshot: Sendable, Hashable {
    /// The clean snapshot kept.
    package var id: SnapshotID
    /// The suspect snapshot it precedes.
    package var suspectID: SnapshotID

    /// Creates a record.
    package init(id: SnapshotID, suspectID: SnapshotID) {
        self.id = id
        self.suspectID = suspectID
    }
}

/// The snapshots `forget` must keep however its policy reads: for every
/// suspect snapshot, the newest snapshot of the same host and path set
/// that precedes it and is not suspect itself (docs: README, "If
/// ransomware strikes"). `vault forget --allow-removing-clean` overrides this.
///
/// - Parameter snapshots: Every snapshot in the repository, in any order.
/// - Returns: One entry per suspect snapshot that has a clean predecessor,
///   oldest suspect first; a clean snapshot may appear more than once when
///   several suspect snapshots follow it.
package func cleanSnapshotsToProtect(
    _ snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]
) -> [ProtectedCleanSnapshot] {
    var protected: [ProtectedCleanSnapshot] = []
    for lineage in CleanSnapshots.lineages(snapshots) {
        var lastClean: SnapshotID?
        for snapshot in lineage {
            if snapshot.manifest.suspect == nil {
                lastClean = snapshot.id
            } else if let lastClean {
                protected.append(ProtectedCleanSnapshot(id: lastClean, suspectID: snapshot.id))
            }
        }
    }
    let times = Dictionary(snapshots.map { ($0.id, $0.manifest.time.nanoseconds) }, uniquingKeysWith: { first, _ in first })
    return protected.sorted { first, second in
        (times[first.suspectID] ?? 0, first.suspectID.hex) < (times[second.suspectID] ?? 0, second.suspectID.hex)
    }
}

/// Which snapshots are clean restore points after a ransomware alarm.
package enum CleanSnapshots {
    /// The snapshots grouped by host and path set, each group oldest first
    /// (by time, then ID), the groups in the order of their newest snapshot.
    static func lineages(_ snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]) -> [[(id: SnapshotID, manifest: SnapshotManifest)]] {
        var groups: [SnapshotLineage: [(id: SnapshotID, manifest: SnapshotManifest)]] = [:]
        for snapshot in snapshots {
            groups[SnapshotLineage(snapshot.manifest), default: []].append(snapshot)
        }
        let sorted = groups.values.map { group in
            group.sorted { ($0.manifest.time.nanoseconds, $0.id.hex) < ($1.manifest.time.nanoseconds, $1.id.hex) }
        }
        return sorted.sorted { first, second in
            let a = first.last.map { ($0.manifest.time.nanoseconds, $0.id.hex) } ?? (0, "")
            let b = second.last.map { ($0.manifest.time.nanoseconds, $0.id.hex) } ?? (0, "")
            return a < b
        }
    }

    /// The last clean snapshot of one lineage (oldest first): the newest
    /// snapshot that precedes the newest suspect one and is not suspect
    /// itself; with no suspect snapshot, the newest snapshot.
    ///
    /// A snapshot taken after the newest suspect one is never clean, even if it is not
    /// suspect itself: it may hold the same encrypted files, unchanged.
    static func lastClean(ofLineage lineage: [(id: SnapshotID, manifest: SnapshotManifest)]) -> (id: SnapshotID, manifest: SnapshotManifest)? {
        let end = lineage.lastIndex { $0.manifest.suspect != nil } ?? lineage.endIndex
        return lineage[..<end].last { $0.manifest.suspect == nil }
    }

    /// The newest clean snapshot of every host and path set that has one,
    /// oldest first: what `vault snapshots --clean` lists.
    package static func newestClean(
        in snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]
    ) -> [(id: SnapshotID, manifest: SnapshotManifest)] {
        lineages(snapshots).compactMap(lastClean(ofLineage:))
            .sorted { ($0.manifest.time.nanoseconds, $0.id.hex) < ($1.manifest.time.nanoseconds, $1.id.hex) }
    }

    /// The newest snapshot of a lineage that is not suspect and was taken
    /// before `time`: the one a backup's alarm points to.
    package static func previousClean(
        in snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], lineage: SnapshotLineage, before time: Timestamp
    ) -> (id: SnapshotID, manifest: SnapshotManifest)? {
        snapshots.filter { SnapshotLineage($0.manifest) == lineage && $0.manifest.suspect == nil && $0.manifest.time < time }
            .max { ($0.manifest.time.nanoseconds, $0.id.hex) < ($1.manifest.time.nanoseconds, $1.id.hex) }
    }
}
