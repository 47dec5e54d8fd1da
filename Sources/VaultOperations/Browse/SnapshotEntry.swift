import VaultRepository

/// One entry of a snapshot: its absolute path inside the snapshot and its
/// tree node, and how listings print it.
package struct SnapshotEntry: Sendable, Hashable {
    /// The absolute path inside the snapshot, e.g. `/home/ada/notes.txt`.
    package var path: [UInt8]
    /// The entry's metadata and contents.
    package var node: TreeNode

    /// Creates an entry.
    package init(path: [UInt8], node: TreeNode) {
        self.path = path
        self.node = node
    }

    /// The path as one line of text (``PrintablePath/escape(_:)``).
    package var printablePath: String { PrintablePath.escape(path) }

    /// The `ls -l` line: mode, user, group, size, modification time, path,
    /// and `-> target` for a symlink.
    ///
    /// `drwxr-xr-x  ada      staff          0  2026-11-26 17:02:03  /home/ada`
    ///
    /// User and group are the recorded names, or the numeric IDs when no
    /// name was recorded; the size of a directory is 0.
    ///
    /// - Parameter zone: Whether the time is local or UTC.
    package func longLine(in zone: DisplayTime.Zone) -> String {
        // Names recorded in the repository: escaped like paths.
        let user = node.user.isEmpty ? String(node.uid) : PrintablePath.escape(Array(node.user.utf8))
        let group = node.group.isEmpty ? String(node.gid) : PrintablePath.escape(Array(node.group.utf8))
        var line = "\(node.modeString)  \(Self.padded(user, 8))  \(Self.padded(group, 8))  "
            + "\(Self.rightAligned(String(node.size), 12))  \(DisplayTime.format(node.mtime, in: zone))  \(printablePath)"
        if node.type == .symlink {
            line += " -> " + PrintablePath.escape(node.linkTarget)
        }
        return line
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func rightAligned(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

extension TreeNode {
    /// The mode as `ls -l` shows it: a type letter and nine permission
    /// letters, with `s`/`S` for set-user/group-ID and `t`/`T` for sticky.
    package var modeString: String {
        let typeLetter: Character = switch type {
        case .file: "-"
        case .directory: "d"
        case .symlink: "l"
        case .fifo: "p"
        case .socket: "s"
        case .characterDevice: "c"
        case .blockDevice: "b"
        }
        var letters: [Character] = [typeLetter]
        let special: [(bit: UInt32, set: Character, setWithoutExecute: Character)] = [
            (0o4000, "s", "S"), (0o2000, "s", "S"), (0o1000, "t", "T"),
        ]
        for (shift, flag) in zip([6, 3, 0], special) {
            let bits = (mode >> UInt32(shift)) & 0o7
            letters.append(bits & 0o4 != 0 ? "r" : "-")
            letters.append(bits & 0o2 != 0 ? "w" : "-")
            let execute = bits & 0o1 != 0
            if mode & flag.bit != 0 {
                letters.append(execute ? flag.set : flag.setWithoutExecute)
            } else {
                letters.append(execute ? "x" : "-")
            }
        }
        return String(letters)
    }
}

extension NodeType {
    /// The type's name in JSON output: `file`, `dir`, `symlink`, `fifo`,
    /// `socket`, `chardev`, `blockdev`.
    package var displayName: String {
        switch self {
        case .file: "file"
        case .directory: "dir"
        case .symlink: "symlink"
        case .fifo: "fifo"
        case .socket: "socket"
        case .characterDevice: "chardev"
        case .blockDevice: "blockdev"
        }
    }
}
