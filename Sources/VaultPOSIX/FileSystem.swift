import Glibc

/// Calls on paths: create directories, rename, remove, describe.
///
/// Each takes an optional directory descriptor; with one, a relative path
/// resolves against it (the `*at` call), without one against the working
/// directory. Every call retries when a signal interrupts it.
package enum FileSystem {
    /// Creates a directory (`mkdirat`).
    ///
    /// - Parameters:
    ///   - path: The new directory.
    ///   - permissions: Its mode bits, before the umask.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `EEXIST` if `path` exists.
    package static func makeDirectory(
        _ path: FilePath, permissions: UInt32 = 0o755, relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) {
        _ = try pathCall(directory == nil ? "mkdir" : "mkdirat", path) { cPath in
            mkdirat(directory?.rawValue ?? AT_FDCWD, cPath, permissions)
        }
    }

    /// Renames a file or directory (`renameat`), replacing the destination
    /// if it exists.
    ///
    /// - Parameters:
    ///   - source: The existing path.
    ///   - sourceDirectory: The base for a relative `source`, or `nil`.
    ///   - destination: The new path.
    ///   - destinationDirectory: The base for a relative `destination`, or `nil`.
    /// - Throws: ``SystemError``; `EXDEV` across file systems.
    package static func rename(
        _ source: FilePath, relativeTo sourceDirectory: FileDescriptor? = nil,
        to destination: FilePath, relativeTo destinationDirectory: FileDescriptor? = nil
    ) throws(SystemError) {
        try twoPathCall("renameat", source, destination) { cSource, cDestination in
            renameat(sourceDirectory?.rawValue ?? AT_FDCWD, cSource, destinationDirectory?.rawValue ?? AT_FDCWD, cDestination)
        }
    }

    /// Renames a file or directory unless the destination exists
    /// (`renameat2` with `RENAME_NOREPLACE`), atomically.
    ///
    /// - Parameters:
    ///   - source: The existing path.
    ///   - sourceDirectory: The base for a relative `source`, or `nil`.
    ///   - destination: The new path.
    ///   - destinationDirectory: The base for a relative `destination`, or `nil`.
    /// - Throws: ``SystemError``; `EEXIST` if the destination exists;
    ///   `EINVAL` when the file system does not support the flag (FAT and
    ///   exFAT under some drivers, some FUSE file systems) and `ENOSYS` when
    ///   the kernel or C library lacks the call: callers fall back then.
    package static func renameNoReplace(
        _ source: FilePath, relativeTo sourceDirectory: FileDescriptor? = nil,
        to destination: FilePath, relativeTo destinationDirectory: FileDescriptor? = nil
    ) throws(SystemError) {
        guard let renameat2 = renameAt2 else {
            throw SystemError(.noFunction, operation: "renameat2", path: source, destination: destination)
        }
        try twoPathCall("renameat2", source, destination) { cSource, cDestination in
            renameat2(
                sourceDirectory?.rawValue ?? AT_FDCWD, cSource,
                destinationDirectory?.rawValue ?? AT_FDCWD, cDestination, renameNoReplaceFlag)
        }
    }

    /// Removes a file, or a symbolic link itself (`unlinkat`).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Throws: ``SystemError``; `ENOENT` if it does not exist, `EISDIR`
    ///   for a directory.
    package static func removeFile(_ path: FilePath, relativeTo directory: FileDescriptor? = nil) throws(SystemError) {
        _ = try pathCall(directory == nil ? "unlink" : "unlinkat", path) { cPath in
            unlinkat(directory?.rawValue ?? AT_FDCWD, cPath, 0)
        }
    }

    /// Describes a file (`fstatat`; `stat` or `lstat` without a directory).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - directory: The base for a relative `path`, or `nil`.
    ///   - followSymbolicLinks: Whether to describe the target of a symbolic
    ///     link (`stat`) or the link itself (`lstat`).
    /// - Returns: The file's status.
    /// - Throws: ``SystemError``; `ENOENT` if it does not exist.
    package static func status(
        of path: FilePath, relativeTo directory: FileDescriptor? = nil, followSymbolicLinks: Bool = true
    ) throws(SystemError) -> FileStatus {
        var raw = stat()
        let operation = directory != nil ? "fstatat" : followSymbolicLinks ? "stat" : "lstat"
        _ = try pathCall(operation, path) { cPath in
            fstatat(directory?.rawValue ?? AT_FDCWD, cPath, &raw, followSymbolicLinks ? 0 : AT_SYMLINK_NOFOLLOW)
        }
        return FileStatus(raw)
    }

    /// The working directory (`getcwd`).
    ///
    /// - Returns: The absolute path of the working directory.
    /// - Throws: ``SystemError`` from `getcwd`; `ENOENT` if it was removed.
    package static func currentDirectory() throws(SystemError) -> FilePath {
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            if getcwd(&buffer, capacity) != nil {
                return FilePath(bytes: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
            }
            let code = Errno.current
            guard code == Errno(rawValue: ERANGE) else { throw SystemError(code, operation: "getcwd") }
            capacity *= 2
        }
    }

    private static func twoPathCall(
        _ operation: String, _ source: FilePath, _ destination: FilePath,
        _ call: (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Int32
    ) throws(SystemError) {
        let result = source.withCString { cSource in
            destination.withCString { cDestination in
                retryingInterrupts { call(cSource, cDestination) }
            }
        }
        guard let result = result ?? nil else {
            throw SystemError(.invalidArgument, operation: operation, path: source, destination: destination)
        }
        if case .failure(let code) = result {
            throw SystemError(code, operation: operation, path: source, destination: destination)
        }
    }

    /// `RENAME_NOREPLACE` from `<linux/fs.h>`.
    private static let renameNoReplaceFlag: UInt32 = 1

    private typealias RenameAt2 = @convention(c) (
        Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32
    ) -> Int32

    /// The C library's `renameat2` (glibc 2.28 and later), looked up at run
    /// time because the Glibc module does not declare it.
    private static let renameAt2: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()
}
