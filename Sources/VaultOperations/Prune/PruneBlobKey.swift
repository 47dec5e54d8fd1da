import VaultCodecs
import VaultRepository

/// A blob as prune counts it: its type and its ID, the pair an index record
/// names. A data blob and a tree blob with the same ID are different blobs.
package struct PruneBlobKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var type: BlobType
    package var id: Digest256

    package init(_ type: BlobType, _ id: Digest256) {
        self.type = type
        self.id = id
    }

    package static func < (lhs: PruneBlobKey, rhs: PruneBlobKey) -> Bool {
        (lhs.type.rawValue, lhs.id) < (rhs.type.rawValue, rhs.id)
    }

    /// `chunk 9c1e44f0` or `tree 3f2a1b0c`.
    package var description: String { "\(type == .data ? "chunk" : "tree") \(id.shortHex)" }
}
