import VaultRepository

/// A path inside a synchronized folder: its components joined by `/`,
/// no leading `/` (`docs/a.txt`).
package struct SyncPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The path's bytes.
    package var bytes: [UInt8]

    /// Creates a path from its bytes.
    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Creates a path from a string (tests, messages).
    package init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The path with one more component.
    package func appending(_ name: [UInt8]) -> SyncPath {
        bytes.isEmpty ? SyncPath(name) : SyncPath(bytes + [UInt8(ascii: "/")] + name)
    }

    /// The last component.
    package var name: [UInt8] {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// The containing directory, `nil` for a top-level entry.
    package var parent: SyncPath? {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return SyncPath(Array(bytes[..<slash]))
    }

    /// Every containing directory, nearest last (`a`, `a/b` for `a/b/c`).
    package var ancestors: [SyncPath] {
        var result: [SyncPath] = []
        var current = parent
        while let path = current {
            result.append(path)
            current = path.parent
        }
        return result.reversed()
    }

    /// The components, first to last.
    package var components: [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// The number of components.
    package var depth: Int { bytes.reduce(1) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 } }

    /// The path for messages (invalid UTF-8 repaired).
    package var description: String { String(decoding: bytes, as: UTF8.self) }

    package static func < (lhs: SyncPath, rhs: SyncPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// A folder's contents as a flat map from path to tree node: every entry
/// below the folder, directories included (their `subtree` is ignored).
package typealias SyncListing = [SyncPath: TreeNode]

/// How two versions of an entry compare.
package enum SyncComparison {
    /// Whether two entries have the same type and contents: the same data
    /// blobs for a file, target for a symlink, device for a device; any two
    /// directories are the same (their entries are compared one by one).
    /// Metadata other than the permission bits (times, owner, inode) is
    /// ignored: it differs between hosts for the same file.
    package static func sameContent(_ a: TreeNode?, _ b: TreeNode?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        guard a.type == b.type else { return false }
        switch a.type {
        case .file: return a.content == b.content
        case .symlink: return a.linkTarget == b.linkTarget
        case .directory, .fifo, .socket: return true
        case .characterDevice, .blockDevice: return a.rdev == b.rdev
        }
    }

    /// Whether two entries have the same permission bits (a symlink has none).
    package static func sameMode(_ a: TreeNode?, _ b: TreeNode?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.type == .symlink || b.type == .symlink || a.mode & 0o7777 == b.mode & 0o7777
    }

    /// Same contents and same permission bits.
    package static func same(_ a: TreeNode?, _ b: TreeNode?) -> Bool {
        sameContent(a, b) && sameMode(a, b)
    }
}
