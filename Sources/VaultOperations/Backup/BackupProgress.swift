import VaultCodecs
import VaultRepository

/// How far a backup has got; reported while it runs.
package struct BackupProgress: Sendable {
    /// Files and other entries looked at.
    package var entries = 0
    /// Files whose contents were read.
    package var filesRead = 0
    /// Bytes read from files.
    package var bytesRead: Int64 = 0
    /// Bytes of files looked at (read or taken from the parent).
    package var bytesProcessed: Int64 = 0
    /// The path being read.
    package var currentPath = ""
    /// Nanoseconds since the backup started.
    package var elapsedNanoseconds: Int64 = 0

    /// An empty progress report.
    package init() {}
}

/// A problem with one source path that did not stop the backup.
package struct BackupWarning: Sendable, Hashable {
    /// What happened to the path.
    package enum Kind: Sendable, Hashable {
        /// The path could not be read: the snapshot is incomplete.
        case unreadable
        /// The path vanished between listing and reading: left out, the snapshot is still complete.
        case vanished
        /// The file kept changing while it was read: stored as read, and flagged.
        case changedWhileReading
        /// Some metadata could not be stored exactly (a time outside the
        /// format's range): stored as near as the format allows, flagged,
        /// and the snapshot is incomplete.
        case metadataInexact

        /// Whether a warning of this kind makes the snapshot incomplete.
        package var makesSnapshotIncomplete: Bool {
            self == .unreadable || self == .metadataInexact
        }
    }

    /// What happened.
    package var kind: Kind
    /// The path concerned.
    package var path: String
    /// Why, in words.
    package var reason: String

    /// The line printed for the user.
    package var message: String {
        switch kind {
        case .unreadable: "\(path): \(reason)"
        case .vanished: "\(path): vanished while the backup ran: \(reason)"
        case .changedWhileReading: "\(path): changed while it was read; stored as read"
        case .metadataInexact: "\(path): \(reason)"
        }
    }
}

/// The outcome of a backup.
package struct BackupResult: Sendable {
    /// The new snapshot's ID.
    package var snapshotID: SnapshotID
    /// The new snapshot.
    package var manifest: SnapshotManifest
    /// The kind asked for (the manifest says what it became).
    package var requestedKind: SnapshotKind
    /// Why the snapshot's kind differs from the one asked for, if it does.
    package var note: String?
    /// Problems with source paths.
    package var warnings: [BackupWarning]
    /// How long the backup took, in nanoseconds.
    package var elapsedNanoseconds: Int64
    /// Set when the snapshot is suspect of capturing a ransomware attack.
    package var ransomwareAlarm: RansomwareAlarm? = nil
}
