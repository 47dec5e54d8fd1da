/// The kinds of object a repository stores; each kind is its own folder
/// (or key prefix) in a backend.
package enum ObjectKind: String, Sendable, CaseIterable, Hashable {
    /// The single repository configuration object, named `config`.
    case config
    /// Key files, each wrapping the master keys under one password.
    case keys
    /// Lock files.
    case locks
    /// Snapshot manifests.
    case snapshots
    /// Index files, mapping blobs to the packs that hold them.
    case index
    /// Pack files, holding blobs. Sharded into 256 folders by name prefix.
    case data
}

/// The full name of one object: its kind and its name within that kind.
///
/// Names are restricted to what every backend and every file system can
/// hold: 1 to 128 characters of lowercase ASCII letters, digits, `-` and `_`.
/// Everything except the configuration is named by 64 lowercase hexadecimal
/// digits (a SHA-256); `data` objects must be, since they are sharded by
/// their first two digits.
package struct ObjectName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The object's kind.
    package let kind: ObjectKind
    /// The object's name within its kind.
    package let name: String

    /// The name of the configuration object.
    package static let config = ObjectName(uncheckedKind: .config, name: "config")

    /// Creates a name, checking that backends can store it.
    ///
    /// - Throws: ``StorageError`` with code ``StorageError/Code/invalidName``.
    package init(kind: ObjectKind, name: String) throws(StorageError) {
        guard Self.isValid(name, kind: kind) else {
            throw StorageError(.invalidName, name: nil, message: "invalid \(kind.rawValue) object name '\(name)'")
        }
        self.kind = kind
        self.name = name
    }

    private init(uncheckedKind kind: ObjectKind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Whether `name` is a valid name for an object of `kind`.
    package static func isValid(_ name: String, kind: ObjectKind) -> Bool {
        let utf8 = name.utf8
        switch kind {
        case .config:
            return name == "config"
        case .data:
            return utf8.count == 64 && utf8.allSatisfy(isLowercaseHexDigit)
        case .keys, .locks, .snapshots, .index:
            return (1...128).contains(utf8.count) && utf8.allSatisfy { byte in
                isLowercaseHexDigit(byte) || (byte >= UInt8(ascii: "g") && byte <= UInt8(ascii: "z"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }

    /// `kind/name`, e.g. `snapshots/3f2a…`.
    package var description: String {
        kind == .config ? name : "\(kind.rawValue)/\(name)"
    }

    package static func < (lhs: ObjectName, rhs: ObjectName) -> Bool {
        (lhs.kind.rawValue, lhs.name) < (rhs.kind.rawValue, rhs.name)
    }
}

