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
    package var parent: Digest256?
    /// The last full snapshot of the same host and paths, if any.
    package var base: Digest256?
    /// The root tree blob.
    package var tree: Digest256
    /// Whether some files could not be read.
    package var incomplete: Bool = false
    /// What changed, and how much was stored.
    package var summary: SnapshotSummary
    /// The program that wrote the snapshot.
    package var program: String
    /// Set for a sync snapshot: its sync set and role (docs/format.md, "Sync snapshots").
    package var sync: SyncRecord? = nil

    /// Creates a snapshot manifest.
    package init(
        time: Timestamp, host: String, user: String, paths: [String], tags: [String], kind: SnapshotKind,
        parent: Digest256?, base: Digest256?, tree: Digest256, incomplete: Bool, summary: SnapshotSummary, program: String
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
