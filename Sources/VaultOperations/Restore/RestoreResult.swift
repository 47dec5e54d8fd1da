import VaultCodecs
import VaultRepository

/// One entry a restore could not restore, or restored incompletely; the
/// restore went on with the others.
package struct RestoreProblem: Sendable, Hashable {
    /// The entry's path in the target.
    package var path: String
    /// Why, in words.
    package var reason: String

    /// Creates a problem report.
    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// The line printed for the user: `PATH: REASON`.
    package var message: String { "\(path): \(reason)" }
}

/// What a restore did.
package struct RestoreSummary: Sendable, Hashable {
    /// Regular files written (hard links not counted).
    package var filesRestored = 0
    /// Files left alone because they already matched the snapshot (`--overwrite if-changed`).
    package var filesUnchanged = 0
    /// Existing entries kept because of `--overwrite never`.
    package var entriesKept = 0
    /// Directories created or updated (the target itself not counted).
    package var directories = 0
    /// Symbolic links created.
    package var symbolicLinks = 0
    /// Extra names of hard-linked files, made with `link`.
    package var hardLinks = 0
    /// Fifos, sockets and devices created.
    package var specialFiles = 0
    /// Devices not created because that needs root.
    package var devicesSkipped = 0
    /// Entries removed from the target (`--delete`), counting those inside removed directories.
    package var entriesDeleted = 0
    /// Bytes of file contents restored (holes included).
    package var bytesRestored: Int64 = 0
    /// Bytes actually written: all-zero chunks become holes and are not written.
    package var bytesWritten: Int64 = 0

    /// An empty summary.
    package init() {}
}

/// What `--verify` found.
package struct RestoreVerification: Sendable, Hashable {
    /// Files read back.
    package var files = 0
    /// Bytes read back.
    package var bytes: Int64 = 0
    /// Files whose contents do not match the snapshot.
    package var mismatches: [RestoreProblem] = []

    /// An empty report.
    package init() {}
}

/// How far a restore has got; reported while it runs.
package struct RestoreProgress: Sendable, Hashable {
    /// Files finished (written or found unchanged).
    package var filesDone = 0
    /// Files to write in all.
    package var filesTotal = 0
    /// Bytes of contents restored so far.
    package var bytesDone: Int64 = 0
    /// Bytes of contents to restore in all.
    package var bytesTotal: Int64 = 0
    /// Nanoseconds since the restore started.
    package var elapsedNanoseconds: Int64 = 0

    /// An empty progress report.
    package init() {}
}

/// The outcome of a restore.
package struct RestoreResult: Sendable {
    /// The snapshot restored.
    package var snapshotID: SnapshotID
    /// Its manifest.
    package var manifest: SnapshotManifest
    /// The target directory.
    package var target: String
    /// What was done.
    package var summary: RestoreSummary
    /// Entries that could not be restored, or not completely.
    package var problems: [RestoreProblem]
    /// What `--verify` found, when it was asked for.
    package var verification: RestoreVerification?
    /// With `--dry-run`: what the restore would change (nothing was changed).
    package var preview: RestorePreview?
    /// How long the restore took, in nanoseconds.
    package var elapsedNanoseconds: Int64
    /// The most bytes of file contents that were in flight at once: pack
    /// ranges being read and decoded, and decoded chunks not yet written
    /// (``RestoreOptions/inFlightBudget``).
    package var peakInFlightBytes = 0
    /// What the costliest single range read held: the in-flight bytes
    /// exceed the budget only when one read alone does.
    package var largestReadCost = 0
    /// Snapshots whose file is damaged and which were therefore not
    /// considered when the snapshot to restore was chosen (`latest` is the
    /// newest readable one).
    package var damagedSnapshotsLeftOut: [SnapshotID] = []

    /// Whether everything was restored and verified as asked.
    package var isComplete: Bool {
        problems.isEmpty && (verification?.mismatches.isEmpty ?? true)
    }
}
