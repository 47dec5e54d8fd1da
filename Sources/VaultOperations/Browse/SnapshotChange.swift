import VaultRepository

/// One difference between two snapshots, as `vault diff` prints it.
package struct SnapshotChange: Sendable, Hashable {
    /// What changed; the raw value is the line's first character.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// In the second snapshot only: `+`.
        case added = "+"
        /// In the first snapshot only: `-`.
        case removed = "-"
        /// The same type in both, different contents: `M`. For a file, its
        /// chunk list differs; for a symlink, its target; for a device, its
        /// device number.
        case modified = "M"
        /// A different type (a file became a directory, …): `T`.
        case typeChanged = "T"
        /// The same contents, different metadata (permissions, owner, group,
        /// modification time or extended attributes): `U`.
        case metadataChanged = "U"
    }

    /// What changed.
    package var kind: Kind
    /// The entry's path (in the second snapshot's terms).
    package var path: [UInt8]
    /// The entry in the first snapshot, unless it was added.
    package var old: TreeNode?
    /// The entry in the second snapshot, unless it was removed.
    package var new: TreeNode?

    /// Creates a change.
    package init(kind: Kind, path: [UInt8], old: TreeNode?, new: TreeNode?) {
        self.kind = kind
        self.path = path
        self.old = old
        self.new = new
    }

    /// Whether the entry is (now, or for a removal, was) a directory.
    package var isDirectory: Bool { (new ?? old)?.type == .directory }

    /// The line `vault diff` prints: the kind's character, a space and the
    /// escaped path, with a `/` after a directory's path: `+ /home/ada/new/`.
    package var line: String {
        "\(kind.rawValue) \(PrintablePath.escape(path))\(isDirectory ? "/" : "")"
    }
}

/// The number of changes of each kind a diff found.
package struct SnapshotDiffSummary: Sendable, Hashable {
    /// Entries added (inside an added directory, each entry counts).
    package var added = 0
    /// Entries removed.
    package var removed = 0
    /// Entries whose contents changed.
    package var modified = 0
    /// Entries whose type changed.
    package var typeChanged = 0
    /// Entries whose metadata alone changed (counted only when asked for).
    package var metadataChanged = 0
    /// Whether metadata changes were looked for.
    package var includesMetadata = false

    /// An empty summary.
    package init(includesMetadata: Bool = false) {
        self.includesMetadata = includesMetadata
    }

    /// Counts one change.
    package mutating func count(_ change: SnapshotChange) {
        switch change.kind {
        case .added: added += 1
        case .removed: removed += 1
        case .modified: modified += 1
        case .typeChanged: typeChanged += 1
        case .metadataChanged: metadataChanged += 1
        }
    }

    /// Whether no change was found.
    package var isEmpty: Bool { added + removed + modified + typeChanged + metadataChanged == 0 }

    /// The closing line: `2 added, 1 removed, 3 modified, 0 type changed`,
    /// and `, 1 metadata changed` when metadata was compared.
    package var line: String {
        var text = "\(added) added, \(removed) removed, \(modified) modified, \(typeChanged) type changed"
        if includesMetadata {
            text += ", \(metadataChanged) metadata changed"
        }
        return text
    }
}
