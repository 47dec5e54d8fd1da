import VaultCodecs

/// What a sync snapshot is to its sync set (docs/format.md, "Sync snapshots").
///
/// A snapshot whose manifest carries a `sync` object belongs to the named
/// sync set. Its `kind` stays `full` or `incremental`, so readers that do
/// not know sync still list, browse and restore it like any snapshot.
package struct SyncRecord: Sendable, Codable, Hashable {
    /// What a sync snapshot stands for.
    package enum Role: String, Sendable, Codable, Hashable {
        /// A state of the set's shared contents; the newest one is the set's head.
        case head
        /// What one host's folder matched after a sync: that host's merge base.
        case base
        /// A host's folder as scanned, saved because the sync replaced some of its versions.
        case local
    }

    /// The sync set's name.
    package var set: String
    /// What the snapshot stands for.
    package var role: Role
    /// For a head: the snapshots it merged (the previous head, and the
    /// host's base or saved local state). Empty for the first head.
    package var merged: [SnapshotID]
    /// For a base: the head the folder was made to match.
    package var head: SnapshotID?
    /// For a base: relative paths whose state the folder did not take
    /// (changed while the sync ran, or left alone by `--pull`); the next
    /// sync treats them as having no base, so both versions are kept.
    package var unsettled: [String]
    /// For a base: relative paths the folder did not take from the head
    /// (changed meanwhile, not writable, unreadable, or left alone by
    /// `--pull`); the base keeps their previous version, so the next sync
    /// merges them again instead of finding nothing to do.
    package var pending: [String]

    /// Creates a sync record.
    package init(set: String, role: Role, merged: [SnapshotID] = [], head: SnapshotID? = nil, unsettled: [String] = [], pending: [String] = []) {
        self.set = set
        self.role = role
        self.merged = merged
        self.head = head
        self.unsettled = unsettled
        self.pending = pending
    }

    private enum CodingKeys: String, CodingKey { case set, role, merged, head, unsettled, pending }

    /// Decodes a record; absent lists are empty, an unknown role is `local`.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        set = try container.decode(String.self, forKey: .set)
        // A role from a newer vault is read as `local`: neither head nor base.
        role = Role(rawValue: try container.decode(String.self, forKey: .role)) ?? .local
        merged = try container.decodeIfPresent([SnapshotID].self, forKey: .merged) ?? []
        head = try container.decodeIfPresent(SnapshotID.self, forKey: .head)
        unsettled = try container.decodeIfPresent([String].self, forKey: .unsettled) ?? []
        pending = try container.decodeIfPresent([String].self, forKey: .pending) ?? []
    }
}
