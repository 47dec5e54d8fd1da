import VaultRepository

/// The outcome of a three-way merge: the new head, what changes in the
/// folder, and what to report. A pure value (``SyncPlanner`` computes it);
/// ``SyncApplier`` carries out its ``actions``.
package struct SyncPlan: Sendable {
    /// The set's new contents. Equal to the head when nothing is sent.
    package var merged: SyncListing
    /// What the folder is to contain after the sync.
    package var target: SyncListing
    /// Whether ``merged`` differs from the head: a new head is written.
    package var sendsHead: Bool
    /// Paths whose local version is not in ``merged`` although it differs
    /// from the head (`--prefer remote`, `--pull --replace`): the scanned
    /// folder is saved as a snapshot first, so they stay in the history.
    package var replacedLocalVersions: [SyncPath]
    /// What to do to the folder, in order.
    package var actions: [SyncAction]
    /// Every path where both sides changed differently.
    package var conflicts: [SyncConflict]
    /// Paths whose changes were sent: in ``merged`` differently from the head.
    package var sent: [SyncPath]
    /// Paths the head had that ``merged`` has not (deleted remotely by this sync).
    package var sentDeletions: [SyncPath]
    /// Paths received: in ``target`` differently from the folder.
    package var received: [SyncPath]
    /// Paths deleted from the folder.
    package var deleted: [SyncPath]
    /// Local edits not sent and not replaced (`--pull`).
    package var leftAlone: [SyncPath]
    /// Paths that the next sync must treat as having no base (see ``SyncRecord/unsettled``).
    package var unsettled: [SyncPath]
    /// Merges worth telling: a deletion that lost to an edit, a mode change on both sides.
    package var notes: [SyncNote]

    /// Whether the sync changes nothing at all.
    package var isEmpty: Bool { !sendsHead && actions.isEmpty }
}

/// Both sides changed one path differently.
package struct SyncConflict: Sendable, Hashable {
    /// Why the versions could not be merged.
    package enum Reason: String, Sendable, Hashable {
        /// Both sides changed the contents (or both added the path, or there is no base).
        case bothChanged = "both changed"
        /// One side has a directory, the other something else.
        case directoryAndFile = "directory and file"
    }

    /// The path that keeps its name.
    package var path: SyncPath
    /// Where the other version is kept; `nil` when `--prefer` dropped it
    /// (it stays in the history).
    package var copy: SyncPath?
    /// Which side's version the copy holds.
    package var copySide: SyncSide?
    /// Why.
    package var reason: Reason
}

/// A merge that needs no conflict copy but is worth telling.
package struct SyncNote: Sendable, Hashable {
    /// The path.
    package var path: SyncPath
    /// What happened, e.g. "deleted locally, changed remotely: kept".
    package var message: String
}

/// One change to the synchronized folder.
package enum SyncAction: Sendable, Hashable {
    /// Rename the local entry (as scanned) to the conflict copy's name.
    case rename(from: SyncPath, to: SyncPath, expected: TreeNode)
    /// Remove an entry (as scanned; a directory only when empty).
    case remove(SyncPath, expected: TreeNode)
    /// Create a directory.
    case makeDirectory(SyncPath, TreeNode)
    /// Write a file or symlink that is not there (`expected` nil) or
    /// replace the one scanned (`expected`).
    case write(SyncPath, TreeNode, expected: TreeNode?)
    /// Change only the permission bits.
    case setMode(SyncPath, UInt32, expected: TreeNode)

    /// The path acted on.
    package var path: SyncPath {
        switch self {
        case .rename(let path, _, _), .remove(let path, _), .makeDirectory(let path, _), .write(let path, _, _), .setMode(let path, _, _):
            return path
        }
    }
}
