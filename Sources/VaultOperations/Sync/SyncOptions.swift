import VaultCodecs
import VaultPOSIX
import VaultRepository

/// What `vault sync` was asked to do.
package struct SyncOptions: Sendable {
    /// The sync set's name.
    package var name: String
    /// The local folder.
    package var directory: String
    /// Read-write, prefer, pull, replace or push.
    package var mode: SyncMode = .readWrite
    /// The host recorded in snapshots and conflict names, whose base is used.
    package var host: String = HostIdentity.hostName
    /// Plan only: change neither the folder nor the set's snapshots.
    package var dryRun = false

    /// Creates options for syncing `directory` as set `name`.
    package init(name: String, directory: String) {
        self.name = name
        self.directory = directory
    }

    /// Whether `name` can name a sync set: 1 to 128 printable characters.
    package static func isValidSetName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}

/// What a sync did.
package struct SyncResult: Sendable {
    /// The plan, as computed.
    package var plan: SyncPlan
    /// The set's head after the sync (`nil` only for a dry run of a new set).
    package var headID: SnapshotID?
    /// Whether a new head was written.
    package var wroteHead: Bool
    /// The host's new base, when one was written.
    package var baseID: SnapshotID?
    /// The folder as scanned, when saved because the sync replaced some of its versions.
    package var localSnapshotID: SnapshotID?
    /// Changes not made to the folder.
    package var skipped: [SyncSkip]
    /// Entries the scans could not read.
    package var warnings: [BackupWarning]
    /// Whether nothing differed at all (no trees were compared).
    package var unchanged: Bool
    /// Whether the host's sync state showed that nothing changed, so the
    /// repository's index and trees were not read (``SyncShortcut``).
    package var checkedByState = false
}
