import VaultCodecs

/// What names a blob: its type together with its ID (docs/format.md,
/// "Blob identity").
///
/// The ID alone does not name a blob. A data blob and a tree blob whose
/// plaintexts are the same bytes have the same ID (a file holding exactly
/// the bytes of a tree blob), and both may be stored; every look-up, every
/// deduplication decision and every reachability set is therefore keyed by
/// `BlobKey`, never by the bare ID. Prune's plan, verify's findings and the
/// chunk index all use this type.
package struct BlobKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Data or tree.
    package var type: BlobType
    /// The blob's ID: the SHA-256 (plain repository) or HMAC-SHA-256
    /// (encrypted repository) of its plaintext.
    package var id: Digest256

    /// Creates a blob key.
    package init(_ type: BlobType, _ id: Digest256) {
        self.type = type
        self.id = id
    }

    /// The key of a data blob.
    package static func data(_ id: Digest256) -> BlobKey { BlobKey(.data, id) }

    /// The key of a tree blob.
    package static func tree(_ id: Digest256) -> BlobKey { BlobKey(.tree, id) }

    /// Orders by ID, then data before tree.
    package static func < (lhs: BlobKey, rhs: BlobKey) -> Bool {
        (lhs.id, lhs.type.rawValue) < (rhs.id, rhs.type.rawValue)
    }

    /// `data 1a2b3c4d` or `tree 1a2b3c4d`.
    package var description: String {
        "\(type == .data ? "data" : "tree") \(id.shortHex)"
    }
}
