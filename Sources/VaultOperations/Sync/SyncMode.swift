/// What a sync does (README, "Sync"): the seed's four patterns, plus push.
package enum SyncMode: Sendable, Hashable {
    /// Read-write with conflict detection: changes go both ways; when both
    /// sides changed a path differently, the head's version keeps the name
    /// and the local one is kept beside it as a conflict copy.
    case readWrite
    /// Read-write where one side wins every conflict, without conflict
    /// copies; the losing version stays in the repository's history.
    case prefer(SyncSide)
    /// Read-only optimized (`--pull`): apply the head's changes since the
    /// base to paths not edited here; send nothing; local edits are left
    /// alone and listed.
    case pull
    /// Read-only (`--pull --replace`): make the folder equal the head; local
    /// edits are saved into the repository first.
    case replace
    /// One-way up (`--push`): the folder becomes the new head; nothing is
    /// applied to the folder. The head's versions stay in its history.
    case push
}

/// One side of a sync.
package enum SyncSide: String, Sendable, Hashable {
    /// This host's folder.
    case local
    /// The set's head in the repository.
    case remote
}
