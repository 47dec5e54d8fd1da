import VaultCodecs

/// How a snapshot's unchanged files were found (docs/format.md, "Snapshots").
package enum SnapshotKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// Every file was read.
    case full
    /// Unchanged files were taken from the previous snapshot.
    case incremental
    /// Unchanged files were taken from the last full snapshot.
    case differential
}

/// What a backup found compared with its parent snapshot.
package struct SnapshotSummary: Sendable, Codable, Hashable {
    /// Files not in the parent.
    package var filesNew: Int = 0
    /// Files whose metadata or contents differ from the parent.
    package var filesChanged: Int = 0
    /// Files taken from the parent unread.
    package var filesUnchanged: Int = 0
    /// Files in the parent but no longer present.
    package var filesRemoved: Int = 0
    /// Directories in the snapshot.
    package var directories: Int = 0
    /// Bytes read from the source.
    package var bytesRead: Int64 = 0
    /// Total size of the files in the snapshot.
    package var bytesTotal: Int64 = 0
    /// Bytes added to the repository after deduplication and compression.
    package var bytesAdded: Int64 = 0
    /// Blobs added to the repository.
    package var blobsAdded: Int = 0

    /// An empty summary.
    package init() {}

    private enum CodingKeys: String, CodingKey {
        case filesNew, filesChanged, filesUnchanged, filesRemoved, directories, bytesRead, bytesTotal, bytesAdded, blobsAdded
    }

    /// Decodes a summary; every field is optional (docs/format.md: readers
    /// must not depend on `summary`), an absent one reads as 0.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        filesNew = try container.decodeIfPresent(Int.self, forKey: .filesNew) ?? 0
        filesChanged = try container.decodeIfPresent(Int.self, forKey: .filesChanged) ?? 0
        filesUnchanged = try container.decodeIfPresent(Int.self, forKey: .filesUnchanged) ?? 0
        filesRemoved = try container.decodeIfPresent(Int.self, forKey: .filesRemoved) ?? 0
        directories = try container.decodeIfPresent(Int.self, forKey: .directories) ?? 0
        bytesRead = try container.decodeIfPresent(Int64.self, forKey: .bytesRead) ?? 0
        bytesTotal = try container.decodeIfPresent(Int64.self, forKey: .bytesTotal) ?? 0
        bytesAdded = try container.decodeIfPresent(Int64.self, forKey: .bytesAdded) ?? 0
        blobsAdded = try container.decodeIfPresent(Int.self, forKey: .blobsAdded) ?? 0
    }
}

/// A snapshot: one backup of a set of paths (docs/format.md, "Snapshots").
package struct SnapshotManifest: Sendable, Codable, Hashable {
    /// The manifest format version.
    package var version: Int = 1
    /// When the backup started.
    package var time: Timestamp
    /// The host it was taken on.
    package var host: String
    /// The user who took it.
    package var user: String
    /// The backed-up paths, as given.
    package var paths: [String]
    /// User tags.
    package var tags: [String]
    /// Full, incremental or differential.
    package var kind: SnapshotKind
    /// The snapshot unchanged files were compared against, if any.
    package var parent: SnapshotID?
    /// The last full snapshot of the same host and paths, if any.
    package var base: SnapshotID?
    /// The root tree blob.
    package var tree: Digest256
    /// Whether some files could not be read.
    package var incomplete: Bool = false
    /// What changed, and how much was stored.
    package var summary: SnapshotSummary
    /// The program that wrote the snapshot.
    package var program: String
    /// Set when the backup looked like it captured a ransomware attack; absent otherwise.
    package var suspect: SnapshotSuspicion? = nil
    /// Set for a sync snapshot: its sync set and role (docs/format.md, "Sync snapshots").
    package var sync: SyncRecord? = nil

    /// Creates a snapshot manifest.
    package init(
        time: Timestamp, host: String, user: String, paths: [String], tags: [String], kind: SnapshotKind,
        parent: SnapshotID?, base: SnapshotID?, tree: Digest256, incomplete: Bool, summary: SnapshotSummary, program: String
    ) {
        self.time = time
        self.host = host
        self.user = user
        self.paths = paths
        self.tags = tags
        self.kind = kind
        self.parent = parent
        self.base = base
        self.tree = tree
        self.incomplete = incomplete
        self.summary = summary
        self.program = program
    }

    private enum CodingKeys: String, CodingKey {
        case version, time, host, user, paths, tags, kind, parent, base, tree, incomplete, summary, program, suspect, sync
    }

    /// Decodes a manifest. `summary` may be absent, as may any of its
    /// fields (docs/format.md); so may `tags` and `program`, which nothing
    /// depends on either.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        time = try container.decode(Timestamp.self, forKey: .time)
        host = try container.decode(String.self, forKey: .host)
        user = try container.decode(String.self, forKey: .user)
        paths = try container.decode([String].self, forKey: .paths)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        kind = try container.decode(SnapshotKind.self, forKey: .kind)
        parent = try container.decodeIfPresent(SnapshotID.self, forKey: .parent)
        base = try container.decodeIfPresent(SnapshotID.self, forKey: .base)
        tree = try container.decode(Digest256.self, forKey: .tree)
        incomplete = try container.decode(Bool.self, forKey: .incomplete)
        summary = try container.decodeIfPresent(SnapshotSummary.self, forKey: .summary) ?? SnapshotSummary()
        program = try container.decodeIfPresent(String.self, forKey: .program) ?? ""
        suspect = try container.decodeIfPresent(SnapshotSuspicion.self, forKey: .suspect)
        sync = try container.decodeIfPresent(SyncRecord.self, forKey: .sync)
    }

    /// The manifest's plaintext.
    package func encoded() -> [UInt8] {
        RepositoryJSON.encode(self)
    }

    /// Decodes a manifest's plaintext.
    ///
    /// - Throws: ``RepositoryError`` with code `.damaged`, or `.unsupportedVersion`.
    package init(decoding bytes: [UInt8], what: String) throws(RepositoryError) {
        self = try RepositoryJSON.decode(SnapshotManifest.self, from: bytes, what: what)
        guard version == 1 else {
            throw RepositoryError(.unsupportedVersion, "\(what) has manifest version \(version); upgrade vault")
        }
    }
}
