import VaultCodecs

/// What kind of file system entry a tree node is.
package enum NodeType: UInt8, Sendable, Hashable, CaseIterable {
    /// A regular file.
    case file = 1
    /// A directory.
    case directory = 2
    /// A symbolic link.
    case symlink = 3
    /// A named pipe.
    case fifo = 4
    /// A Unix domain socket.
    case socket = 5
    /// A character device.
    case characterDevice = 6
    /// A block device.
    case blockDevice = 7
}

/// One extended attribute.
package struct ExtendedAttribute: Sendable, Hashable {
    /// The attribute's name, e.g. `user.comment`.
    package var name: [UInt8]
    /// The attribute's value.
    package var value: [UInt8]

    /// Creates an extended attribute.
    package init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// One entry of a directory listing (docs/format.md, "Tree blobs").
package struct TreeNode: Sendable, Hashable {
    /// Flags recorded for a node.
    package struct Flags: OptionSet, Sendable, Hashable {
        package var rawValue: UInt8
        package init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The file changed while it was read: its contents may be inconsistent.
        package static let changedWhileReading = Flags(rawValue: 1 << 0)
        /// The modification or status change time lay outside what the
        /// format holds (1677-09-21 ... 2262-04-11) and was stored as the
        /// nearest time it holds.
        package static let timeClamped = Flags(rawValue: 1 << 1)
    }

    /// The entry's name: any bytes but `/` and NUL, not empty, `.` or `..`.
    package var name: [UInt8]
    /// The entry's type.
    package var type: NodeType
    /// Flags.
    package var flags: Flags = []
    /// Permission bits (`st_mode & 0o7777`).
    package var mode: UInt32 = 0
    /// Owner user ID.
    package var uid: UInt32 = 0
    /// Owner group ID.
    package var gid: UInt32 = 0
    /// Owner user name, if known.
    package var user: String = ""
    /// Owner group name, if known.
    package var group: String = ""
    /// Modification time.
    package var mtime: Timestamp = Timestamp(nanoseconds: 0)
    /// Status change time.
    package var ctime: Timestamp = Timestamp(nanoseconds: 0)
    /// File size in bytes.
    package var size: UInt64 = 0
    /// Inode number.
    package var inode: UInt64 = 0
    /// Device of the containing file system.
    package var device: UInt64 = 0
    /// Hard link count.
    package var links: UInt64 = 1
    /// Device number of a character or block device.
    package var rdev: UInt64 = 0
    /// A symlink's target.
    package var linkTarget: [UInt8] = []
    /// Extended attributes.
    package var xattrs: [ExtendedAttribute] = []
    /// A file's data blobs, in order.
    package var content: [Digest256] = []
    /// A directory's tree blob.
    package var subtree: Digest256?

    /// Creates a node.
    package init(name: [UInt8], type: NodeType) {
        self.name = name
        self.type = type
    }

    /// The name for messages (invalid UTF-8 repaired).
    package var displayName: String { String(decoding: name, as: UTF8.self) }

    /// Whether `name` is a safe single path component.
    package static func isValidName(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.count <= Int(UInt16.max) && !name.contains(UInt8(ascii: "/")) && !name.contains(0)
            && !name.elementsEqual([UInt8(ascii: ".")]) && !name.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
    }
}

/// A directory listing: the plaintext of a tree blob.
package struct Tree: Sendable, Hashable {
    /// The entries, sorted by name bytes.
    package private(set) var nodes: [TreeNode]

    static let magic = "VTR1"

    /// Creates a tree, sorting the nodes by name.
    ///
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` for an
    ///   invalid or duplicate name.
    package init(nodes: [TreeNode]) throws(RepositoryError) {
        let sorted = nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        for (index, node) in sorted.enumerated() {
            guard TreeNode.isValidName(node.name) else {
                throw RepositoryError(.invalidRequest, "invalid file name '\(node.displayName)'")
            }
            if index > 0, sorted[index - 1].name == node.name {
                throw RepositoryError(.invalidRequest, "duplicate file name '\(node.displayName)'")
            }
        }
        self.nodes = sorted
    }

    /// The tree blob's plaintext.
    package func encoded() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 8 + nodes.count * 128)
        writer.append(bytes: Self.magic.utf8)
        writer.append(UInt32(nodes.count))
        for node in nodes {
            writer.append(lengthPrefixed: node.name, as: UInt16.self)
            writer.append(node.type.rawValue)
            writer.append(node.flags.rawValue)
            writer.append(node.mode)
            writer.append(node.uid)
            writer.append(node.gid)
            writer.append(lengthPrefixed: Array(node.user.utf8.prefix(Int(UInt16.max))), as: UInt16.self)
            writer.append(lengthPrefixed: Array(node.group.utf8.prefix(Int(UInt16.max))), as: UInt16.self)
            writer.append(node.mtime.nanoseconds)
            writer.append(node.ctime.nanoseconds)
            writer.append(node.size)
            writer.append(node.inode)
            writer.append(node.device)
            writer.append(node.links)
            writer.append(node.rdev)
            writer.append(lengthPrefixed: node.linkTarget, as: UInt32.self)
            writer.append(UInt32(node.xattrs.count))
            for xattr in node.xattrs {
                writer.append(lengthPrefixed: xattr.name, as: UInt16.self)
                writer.append(lengthPrefixed: xattr.value, as: UInt32.self)
            }
            switch node.type {
            case .file:
                writer.append(UInt32(node.content.count))
                for id in node.content {
                    writer.append(id)
                }
            case .directory:
                writer.append(node.subtree ?? .zero)
            default:
                break
            }
        }
        return writer.bytes
    }

    /// Decodes a tree blob's plaintext, checking names and order.
    ///
    /// - Parameter what: Names the blob for error messages.
    /// - Throws: ``RepositoryError`` with code `.damaged`.
    package init(decoding bytes: [UInt8], what: String) throws(RepositoryError) {
        var reader = BinaryReader(bytes, context: what)
        try reader.expectMagic(Self.magic)
        let count = Int(try reader.read(UInt32.self))
        try reader.checkCount(count, minimumSize: 80)
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(count)
        for _ in 0..<count {
            let name = Array(try reader.readLengthPrefixed(UInt16.self))
            guard TreeNode.isValidName(name) else {
                throw RepositoryError.damaged(what, "invalid entry name '\(String(decoding: name, as: UTF8.self))'")
            }
            if let previous = nodes.last, !previous.name.lexicographicallyPrecedes(name) {
                throw RepositoryError.damaged(what, "entries out of order at '\(String(decoding: name, as: UTF8.self))'")
            }
            let typeByte = try reader.read(UInt8.self)
            guard let type = NodeType(rawValue: typeByte) else {
                throw RepositoryError.damaged(what, "unknown entry type \(typeByte)")
            }
            var node = TreeNode(name: name, type: type)
            node.flags = TreeNode.Flags(rawValue: try reader.read(UInt8.self))
            node.mode = try reader.read(UInt32.self)
            node.uid = try reader.read(UInt32.self)
            node.gid = try reader.read(UInt32.self)
            node.user = String(decoding: try reader.readLengthPrefixed(UInt16.self), as: UTF8.self)
            node.group = String(decoding: try reader.readLengthPrefixed(UInt16.self), as: UTF8.self)
            node.mtime = Timestamp(nanoseconds: try reader.read(Int64.self))
            node.ctime = Timestamp(nanoseconds: try reader.read(Int64.self))
            node.size = try reader.read(UInt64.self)
            // No file system has files of 2^63 bytes or more (off_t is signed): such a size is damage,
            // and readers may add sizes up in an Int64.
            guard node.size <= UInt64(Int64.max) else {
                throw RepositoryError.damaged(what, "entry '\(node.displayName)' has an impossible size \(node.size)")
            }
            node.inode = try reader.read(UInt64.self)
            node.device = try reader.read(UInt64.self)
            node.links = try reader.read(UInt64.self)
            node.rdev = try reader.read(UInt64.self)
            node.linkTarget = Array(try reader.readLengthPrefixed(UInt32.self))
            let xattrCount = Int(try reader.read(UInt32.self))
            try reader.checkCount(xattrCount, minimumSize: 6)
            for _ in 0..<xattrCount {
                let name = Array(try reader.readLengthPrefixed(UInt16.self))
                let value = Array(try reader.readLengthPrefixed(UInt32.self))
                node.xattrs.append(ExtendedAttribute(name: name, value: value))
            }
            switch type {
            case .file:
                let chunkCount = Int(try reader.read(UInt32.self))
                try reader.checkCount(chunkCount, minimumSize: Digest256.byteCount)
                node.content.reserveCapacity(chunkCount)
                for _ in 0..<chunkCount {
                    node.content.append(try reader.readDigest())
                }
            case .directory:
                node.subtree = try reader.readDigest()
            default:
                break
            }
            nodes.append(node)
        }
        try reader.expectEnd()
        self.nodes = nodes
    }
}
