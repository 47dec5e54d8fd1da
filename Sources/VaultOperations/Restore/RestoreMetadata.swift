import VaultPOSIX
import VaultRepository

/// Sets a restored entry's metadata from its tree node: owner and group
/// (as root only), permission bits (set-user-ID and set-group-ID as root
/// only), extended attributes (where the file system takes them), and the
/// modification time, which also becomes the access time.
///
/// The order matters: `chown` clears the set-ID bits, so it comes before
/// `chmod`; the times come last.
struct RestoreMetadata: Sendable {
    /// Whether ownership and set-ID bits are restored.
    let isRoot: Bool

    /// What of a node's metadata a restored file keeps until it is
    /// complete: a few words, so that a restore of many files holds little
    /// per file (the rest of the node is not kept).
    struct Attributes: Sendable {
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var mtime: Timestamp
        var xattrs: [ExtendedAttribute]

        /// The metadata of `node`.
        init(_ node: TreeNode) {
            mode = node.mode
            uid = node.uid
            gid = node.gid
            mtime = node.mtime
            xattrs = node.xattrs
        }
    }

    /// Metadata for this process: root restores ownership.
    init(isRoot: Bool = ProcessIdentity.isRoot) {
        self.isRoot = isRoot
    }

    /// The permission bits to give an entry.
    func permissions(of node: TreeNode) -> UInt32 {
        permissions(node.mode)
    }

    private func permissions(_ mode: UInt32) -> UInt32 {
        mode & (isRoot ? 0o7777 : 0o1777)
    }

    /// Sets the metadata of an open file or directory.
    ///
    /// - Returns: What failed; empty when everything was set.
    func apply(_ node: TreeNode, to file: FileDescriptor) -> [SystemError] {
        apply(Attributes(node), to: file)
    }

    /// Sets the metadata of an open file or directory.
    ///
    /// - Returns: What failed; empty when everything was set.
    func apply(_ node: Attributes, to file: FileDescriptor) -> [SystemError] {
        var failures: [SystemError] = []
        if isRoot {
            do { try file.setOwner(userID: node.uid, groupID: node.gid) } catch { failures.append(error) }
        }
        do { try file.setPermissions(permissions(node.mode)) } catch { failures.append(error) }
        for attribute in node.xattrs {
            do {
                try file.setExtendedAttribute(attribute.name, value: attribute.value)
            } catch {
                if !isQuiet(error) { failures.append(error) }
            }
        }
        let time = Self.fileTime(node.mtime)
        do { try file.setTimes(access: time, modification: time) } catch { failures.append(error) }
        return failures
    }

    /// Sets the metadata of an entry that cannot be opened: a symbolic
    /// link (whose mode Linux ignores) or a special file. Nothing follows a
    /// symbolic link.
    ///
    /// - Parameters:
    ///   - node: The entry's node.
    ///   - name: The entry's name in `directory`.
    ///   - directory: The directory holding it.
    /// - Returns: What failed; empty when everything was set.
    func apply(_ node: TreeNode, toEntry name: FilePath, in directory: FileDescriptor) -> [SystemError] {
        var failures: [SystemError] = []
        if isRoot {
            do { try FileSystem.setOwner(of: name, userID: node.uid, groupID: node.gid, relativeTo: directory) } catch { failures.append(error) }
        }
        if node.type != .symlink {
            do { try FileSystem.setPermissions(of: name, to: permissions(of: node), relativeTo: directory) } catch { failures.append(error) }
        }
        for attribute in node.xattrs {
            do {
                try FileSystem.setExtendedAttribute(attribute.name, value: attribute.value, of: name, relativeTo: directory)
            } catch {
                if !isQuiet(error) { failures.append(error) }
            }
        }
        let time = Self.fileTime(node.mtime)
        do { try FileSystem.setTimes(of: name, access: time, modification: time, relativeTo: directory) } catch { failures.append(error) }
        return failures
    }

    /// Whether an extended attribute that could not be set is left out
    /// silently: the file system takes none (`ENOTSUP`), or, without root,
    /// the attribute's namespace is not writable (`EPERM`).
    private func isQuiet(_ error: SystemError) -> Bool {
        error.code == .notSupported || (!isRoot && error.code == .notPermitted)
    }

    /// A node's time as the kernel takes it.
    static func fileTime(_ time: Timestamp) -> FileTime {
        let (seconds, remainder) = time.nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0
            ? FileTime(seconds: seconds - 1, nanoseconds: Int32(remainder + 1_000_000_000))
            : FileTime(seconds: seconds, nanoseconds: Int32(remainder))
    }

    /// One line for a list of failures.
    static func describe(_ failures: [SystemError]) -> String {
        failures.map { "\($0.operation): \($0.code)" }.joined(separator: "; ")
    }
}
