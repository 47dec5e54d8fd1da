import VaultCodecs
import VaultRepository

/// The repository object a ``VerifyFinding`` is about.
package enum VerifiedObject: Sendable, Hashable, CustomStringConvertible {
    /// The repository as a whole (findings that sum up many objects).
    case repository
    /// A key file, by ID.
    case key(KeyID)
    /// An index file, by ID.
    case index(IndexFileID)
    /// A pack file, by ID.
    case pack(PackID)
    /// A blob, by ID, with its type and the pack it was read from (`nil`
    /// when no pack holds it).
    case blob(Digest256, BlobType, pack: PackID?)
    /// A snapshot, by ID.
    case snapshot(SnapshotID)

    /// The object's kind as one word: `repository`, `key`, `index`, `pack`, `chunk`, `tree`, `snapshot`.
    package var kindName: String {
        switch self {
        case .repository: "repository"
        case .key: "key"
        case .index: "index"
        case .pack: "pack"
        case .blob(_, let type, _): type.verifyName
        case .snapshot: "snapshot"
        }
    }

    /// The object's ID, if it has one.
    package var id: Digest256? {
        switch self {
        case .repository: nil
        case .key(let id): id.digest
        case .index(let id): id.digest
        case .pack(let id): id.digest
        case .snapshot(let id): id.digest
        case .blob(let id, _, _): id
        }
    }

    /// `pack 47d0a1b2`, `chunk 9c1e44f0 in pack 47d0a1b2`, `repository`.
    package var description: String {
        switch self {
        case .repository:
            return "repository"
        case .blob(let id, let type, let pack?):
            return "\(type.verifyName) \(id.shortHex) in pack \(pack.shortHex)"
        default:
            return "\(kindName) \(id!.shortHex)"
        }
    }
}

/// One thing `verify` found wrong with one object (an error), or worth
/// knowing about it without anything being wrong (a note).
package struct VerifyFinding: Sendable, Hashable, CustomStringConvertible {
    /// Whether a finding is damage or only worth knowing.
    package enum Severity: String, Sendable, Hashable {
        /// Something is damaged or missing; `verify` exits with status 4.
        case error
        /// Harmless, e.g. a pack an interrupted backup left unindexed.
        case note
    }

    /// What was found; the raw value is the `kind` member of the JSON output.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A key file does not match its name or does not decode.
        case keyDamaged = "key-damaged"
        /// An index file cannot be read, does not match its name, or does not decode.
        case indexDamaged = "index-damaged"
        /// Two index files describe the same pack differently.
        case indexConflict = "index-conflict"
        /// A pack the index names is not in the storage.
        case packMissing = "pack-missing"
        /// A pack's size differs from the size the index records.
        case packSizeMismatch = "pack-size-mismatch"
        /// A pack's header cannot be read or opened.
        case packHeaderDamaged = "pack-header-damaged"
        /// A pack's header lists other blobs than the index does.
        case packHeaderMismatch = "pack-header-mismatch"
        /// A pack could not be read from the storage.
        case packUnreadable = "pack-unreadable"
        /// A pack's SHA-256 is not its name.
        case packHashMismatch = "pack-hash-mismatch"
        /// A blob does not open, decompress, or hash to its ID.
        case blobDamaged = "blob-damaged"
        /// A blob a snapshot uses is in no index.
        case blobMissing = "blob-missing"
        /// A snapshot file cannot be read, does not match its name, or does not decode.
        case snapshotDamaged = "snapshot-damaged"
        /// A tree blob could be read but is not a valid tree.
        case treeDamaged = "tree-damaged"
        /// Note: a pack no index names.
        case packUnindexed = "pack-unindexed"
        /// Note: blobs stored in more than one pack.
        case blobDuplicated = "blob-duplicated"
        /// Note: a damaged index file that another index file supersedes.
        case supersededIndexDamaged = "superseded-index-damaged"

        /// Whether this kind of finding is damage.
        package var severity: Severity {
            switch self {
            case .packUnindexed, .blobDuplicated, .supersededIndexDamaged: .note
            default: .error
            }
        }
    }

    /// What was found.
    package var kind: Kind
    /// The object concerned.
    package var object: VerifiedObject
    /// What is wrong with it, in one line.
    package var message: String

    /// Creates a finding.
    ///
    /// - Parameters:
    ///   - kind: What was found.
    ///   - object: The object concerned.
    ///   - message: What is wrong with it, in one line.
    package init(_ kind: Kind, _ object: VerifiedObject, _ message: String) {
        self.kind = kind
        self.object = object
        self.message = message
    }

    /// Whether this finding is damage or a note.
    package var severity: Severity { kind.severity }

    /// The line `verify` prints: `pack 47d0a1b2: missing …`, notes prefixed with `note: `.
    package var description: String {
        (severity == .note ? "note: " : "") + "\(object): \(message)"
    }
}

extension BlobType {
    /// `chunk` or `tree`, as findings name blobs.
    package var verifyName: String {
        switch self {
        case .data: "chunk"
        case .tree: "tree"
        }
    }
}
