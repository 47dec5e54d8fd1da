import VaultCodecs
import VaultStorage

/// The kinds of repository objects that have an ID of their own type.
///
/// Each kind is a type that exists only to tell IDs apart at compile
/// time (a phantom type): a ``PackID`` cannot be passed where a
/// ``SnapshotID`` or a blob's ``BlobKey`` is wanted.
package protocol ObjectIDKind: Sendable {
    /// How the kind is named in messages: `pack`, `snapshot`, …
    static var name: String { get }
    /// Where objects of the kind are stored.
    static var objectKind: ObjectKind { get }
}

/// Marks IDs of pack files (`data/XX/NAME`).
package enum PackObject: ObjectIDKind {
    package static let name = "pack"
    package static let objectKind = ObjectKind.data
}

/// Marks IDs of snapshot files (`snapshots/NAME`).
package enum SnapshotObject: ObjectIDKind {
    package static let name = "snapshot"
    package static let objectKind = ObjectKind.snapshots
}

/// Marks IDs of index files (`index/NAME`).
package enum IndexFileObject: ObjectIDKind {
    package static let name = "index"
    package static let objectKind = ObjectKind.index
}

/// Marks IDs of key files (`keys/NAME`).
package enum KeyObject: ObjectIDKind {
    package static let name = "key"
    package static let objectKind = ObjectKind.keys
}

/// The ID of a pack file: the SHA-256 of its bytes.
package typealias PackID = ObjectID<PackObject>
/// The ID of a snapshot file: the SHA-256 of its sealed bytes.
package typealias SnapshotID = ObjectID<SnapshotObject>
/// The ID of an index file: the SHA-256 of its sealed bytes.
package typealias IndexFileID = ObjectID<IndexFileObject>
/// The ID of a key file: the SHA-256 of its bytes.
package typealias KeyID = ObjectID<KeyObject>

/// The ID of one repository object of kind `Kind`: the SHA-256 of the
/// object's bytes, which is also its name (docs/format.md, "Layout").
///
/// Blobs are not objects: they are named by ``BlobKey`` (type and ID).
package struct ObjectID<Kind: ObjectIDKind>: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 bytes.
    package var digest: Digest256

    /// Wraps a digest that names an object of this kind.
    package init(_ digest: Digest256) {
        self.digest = digest
    }

    /// Parses 64 hexadecimal digits.
    ///
    /// - Returns: `nil` unless `hex` is exactly 64 hexadecimal digits.
    package init?(hex: some StringProtocol) {
        guard let digest = Digest256(hex: hex) else { return nil }
        self.digest = digest
    }

    /// An all-zero ID (never the name of a stored object).
    package static var zero: ObjectID { ObjectID(.zero) }

    /// The 64 lowercase hexadecimal digits: the object's name.
    package var hex: String { digest.hex }

    /// The first 8 hexadecimal digits, for messages.
    package var shortHex: String { digest.shortHex }

    /// The 64 lowercase hexadecimal digits, as ``hex``.
    package var description: String { digest.hex }

    /// The order of the IDs' ``hex`` strings.
    package static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        lhs.digest < rhs.digest
    }
}

extension ObjectID: Codable {
    /// Decodes an ID from 64 hexadecimal digits, as ``Digest256`` does.
    package init(from decoder: any Decoder) throws {
        self.init(try Digest256(from: decoder))
    }

    /// Encodes the ID as 64 lowercase hexadecimal digits.
    package func encode(to encoder: any Encoder) throws {
        try digest.encode(to: encoder)
    }
}

extension ObjectName {
    /// The name of the object an ID names.
    ///
    /// Never fails: an ID is 32 bytes, whose 64 lowercase hexadecimal
    /// digits are always a valid object name (the one place this is relied
    /// on; names read from a storage are checked by `ObjectName` itself).
    package init<Kind>(_ id: ObjectID<Kind>) {
        self = try! ObjectName(kind: Kind.objectKind, name: id.hex)
    }
}
