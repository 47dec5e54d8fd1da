/// What to do with an entry that already exists in the target.
package enum OverwritePolicy: String, Sendable, Hashable, CaseIterable {
    /// Replace it (the default).
    case always
    /// Replace it unless it already matches the snapshot: a file of the
    /// same size and modification time, a symbolic link with the same
    /// target, a special file of the same kind. Resumes an interrupted restore.
    case ifChanged = "if-changed"
    /// Keep it.
    case never
}

/// What `vault restore` was asked to do.
package struct RestoreOptions: Sendable {
    /// Which snapshot, and optionally which path inside it.
    package var snapshot: SnapshotReference
    /// The directory to restore into; created when missing.
    package var target: String
    /// Which entries to restore.
    package var selection = RestoreSelection()
    /// What to do with entries that exist in the target.
    package var overwrite = OverwritePolicy.always
    /// Remove entries of restored directories that are not in the snapshot.
    package var deletesExtraneous = false
    /// Read the restored files back and check every chunk against its ID.
    package var verifies = false
    /// Only plan: report what would be written, replaced and deleted, and change nothing.
    package var isDryRun = false
    /// The most bytes of file contents held in flight (ranges being read,
    /// decoded chunks not yet written); `nil`: 8 MiB a core, at least
    /// 16 MiB (``RestoreInFlightBudget``). A read larger than the budget
    /// still proceeds, alone.
    package var inFlightBudget: Int?

    /// Creates options to restore `snapshot` into `target`.
    package init(snapshot: SnapshotReference, target: String) {
        self.snapshot = snapshot
        self.target = target
    }
}
