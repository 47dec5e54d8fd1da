import Glibc
internal import CLinuxShims

/// Calls that create entries and set their metadata: what a restore needs.
///
/// Every call takes a directory descriptor and a name inside it (the `*at`
/// calls), so that a caller walking a tree by descriptors never resolves a
/// path through a symbolic link it did not mean to follow. None of them
/// follows a symbolic link in the last component.
extension FileSystem {
    /// Creates a symbolic link (`symlinkat`).
    ///
    /// - Parameters:
    ///   - path: The new link.
    ///   - target: What the link points to: bytes, stored as they are.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `EEXIST` if `path` exists.
    package static func makeSymbolicLink(
        _ path: FilePath, pointingTo target: [UInt8], relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        let targetPath = FilePath(bytes: target)
        var failure: SystemError?
        let result: Void? = targetPath.withCString { cTarget in
            do throws(SystemError) {
                _ = try pathCall("symlinkat", path) { cPath in symlinkat(cTarget, directory?.rawValue ?? AT_FDCWD, cPath) }
            } catch {
                failure = error
            }
        }
        if result == nil {
            throw SystemError(.invalidArgument, operation: "symlinkat", path: path)
        }
        if let failure { throw failure }
    }

    /// Creates a hard link to an existing file (`linkat`, not following a
    /// symbolic link at `source`).
    ///
    /// - Parameters:
    ///   - source: The existing file.
    ///   - sourceDirectory: The base for a relative `source`, or `nil`.
    ///   - destination: The new name; it must not exist.
    ///   - destinationDirectory: The base for a relative `destination`, or `nil`.
    /// - Throws: ``SystemError``; `EEXIST` if `destination` exists, `EXDEV`
    ///   across file systems, `EPERM` where the file system has no hard links.
    package static func makeHardLink(
        _ source: FilePath, relativeTo sourceDirectory: FileDescriptor? = nil,
        at destination: FilePath, relativeTo destinationDirectory: FileDescriptor? = nil
    ) throws(SystemError) {
        let result = source.withCString { cSource in
            destination.withCString { cDestination in
                retryingInterrupts {
                    linkat(sourceDirectory?.rawValue ?? AT_FDCWD, cSource, destinationDirectory?.rawValue ?? AT_FDCWD, cDestination, 0)
                }
            }
        }
        guard let result = result ?? nil else {
            throw SystemError(.invalidArgument, operation: "linkat", path: source, destination: destination)
        }
        if case .failure(let code) = result {
            throw SystemError(code, operation: "linkat", path: source, destination: destination)
        }
    }

    /// The kinds of special file ``makeSpecialFile(_:kind:permissions:device:relativeTo:)`` creates.
    package enum SpecialFileKind: Sendable, Hashable {
        /// A named pipe (`S_IFIFO`).
        case fifo
        /// A Unix domain socket's file system entry (`S_IFSOCK`), without a listener.
        case socket
        /// A character device (`S_IFCHR`); creating one needs `CAP_MKNOD`.
        case characterDevice
        /// A block device (`S_IFBLK`); creating one needs `CAP_MKNOD`.
        case blockDevice

        var modeBits: mode_t {
            switch self {
            case .fifo: S_IFIFO
            case .socket: S_IFSOCK
            case .characterDevice: S_IFCHR
            case .blockDevice: S_IFBLK
            }
        }
    }

    /// Creates a fifo, socket entry or device file (`mknodat`).
    ///
    /// - Parameters:
    ///   - path: The new entry.
    ///   - kind: What to create.
    ///   - permissions: Its mode bits, before the umask.
    ///   - device: For a device, its number as `st_rdev` gives it; else 0.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `EEXIST` if `path` exists, `EPERM` for a
    ///   device without `CAP_MKNOD`.
    package static func makeSpecialFile(
        _ path: FilePath, kind: SpecialFileKind, permissions: UInt32, device: UInt64 = 0, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        _ = try pathCall("mknodat", path) { cPath in
            mknodat(directory?.rawValue ?? AT_FDCWD, cPath, kind.modeBits | mode_t(permissions & 0o7777), dev_t(device))
        }
    }

    /// Removes an empty directory (`unlinkat` with `AT_REMOVEDIR`).
    ///
    /// - Parameters:
    ///   - path: The directory.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `ENOTEMPTY` if it has entries, `ENOTDIR`
    ///   if it is not a directory.
    package static func removeDirectory(_ path: FilePath, relativeTo directory: FileDescriptor? = nil) throws(SystemError) {
        _ = try pathCall("unlinkat", path) { cPath in
            unlinkat(directory?.rawValue ?? AT_FDCWD, cPath, AT_REMOVEDIR)
        }
    }

    /// Sets the owner and group of an entry, not following a symbolic link
    /// (`fchownat` with `AT_SYMLINK_NOFOLLOW`).
    ///
    /// - Parameters:
    ///   - path: The entry.
    ///   - userID: The new owner.
    ///   - groupID: The new group.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `EPERM` without the privilege.
    package static func setOwner(
        of path: FilePath, userID: UInt32, groupID: UInt32, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        _ = try pathCall("fchownat", path) { cPath in
            fchownat(directory?.rawValue ?? AT_FDCWD, cPath, uid_t(userID), gid_t(groupID), AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Sets the permission bits of an entry (`fchmodat`).
    ///
    /// Linux cannot change a symbolic link's own mode: this follows a
    /// symbolic link, so never call it on one.
    ///
    /// - Parameters:
    ///   - path: The entry.
    ///   - permissions: The mode bits (`& 0o7777`).
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``.
    package static func setPermissions(
        of path: FilePath, to permissions: UInt32, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        _ = try pathCall("fchmodat", path) { cPath in
            fchmodat(directory?.rawValue ?? AT_FDCWD, cPath, mode_t(permissions & 0o7777), 0)
        }
    }

    /// Sets the access and modification times of an entry, not following a
    /// symbolic link (`utimensat` with `AT_SYMLINK_NOFOLLOW`).
    ///
    /// - Parameters:
    ///   - path: The entry.
    ///   - access: The access time.
    ///   - modification: The modification time.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``.
    package static func setTimes(
        of path: FilePath, access: FileTime, modification: FileTime, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        let times = [access.cTimespec, modification.cTimespec]
        _ = try pathCall("utimensat", path) { cPath in
            utimensat(directory?.rawValue ?? AT_FDCWD, cPath, times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Sets an extended attribute of an entry, not following a symbolic
    /// link (`lsetxattr`).
    ///
    /// With a directory descriptor the entry is reached through
    /// `/proc/self/fd/N/NAME`: the kernel resolves `N` to the open directory
    /// itself, so no symbolic link on the way is followed, and `lsetxattr`
    /// does not follow one in the last component. This is how to set an
    /// attribute of a symbolic link or a special file, which cannot be
    /// opened for `fsetxattr`.
    ///
    /// - Parameters:
    ///   - name: The attribute's name, e.g. `user.comment`.
    ///   - value: Its value.
    ///   - path: The entry: a single name when `directory` is given.
    ///   - directory: The directory holding `path`, or `nil`.
    /// - Throws: ``SystemError``; `ENOTSUP` where the file system does not
    ///   take the attribute, `EPERM` for a namespace the caller may not write.
    package static func setExtendedAttribute(
        _ name: [UInt8], value: [UInt8], of path: FilePath, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        let fullPath = directory.map { FilePath("/proc/self/fd/\($0.rawValue)").appending(path) } ?? path
        let attribute = FilePath(bytes: name)
        var failure: SystemError?
        let done: Void? = attribute.withCString { cName in
            do throws(SystemError) {
                _ = try pathCall("lsetxattr", fullPath) { cPath in
                    value.withUnsafeBytes { lsetxattr(cPath, cName, $0.baseAddress, $0.count, 0) }
                }
            } catch {
                failure = SystemError(error.code, operation: error.operation, path: path)
            }
        }
        if done == nil {
            throw SystemError(.invalidArgument, operation: "lsetxattr", path: path)
        }
        if let failure { throw failure }
    }

    /// Raises this process's soft limit on open descriptors to its hard
    /// limit (`setrlimit(RLIMIT_NOFILE)`), for work that keeps many open.
    ///
    /// - Returns: The limit now in force.
    @discardableResult
    package static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                limit = raised
            }
        }
        return Int(clamping: limit.rlim_cur)
    }
}

extension FileTime {
    /// The time as a C `timespec`.
    var cTimespec: timespec {
        timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
    }
}
