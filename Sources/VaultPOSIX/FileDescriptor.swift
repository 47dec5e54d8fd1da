import Glibc

/// An open file descriptor: a file, or a directory that `*at` calls use as
/// their base.
///
/// Modelled on swift-system's `FileDescriptor`: a plain value wrapping the
/// C descriptor. You own its lifetime as you would a C descriptor: call
/// ``close()`` exactly once (``closeAfter(_:)`` does it for you), and do
/// not use a copy afterwards.
package struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    /// The raw C descriptor.
    package let rawValue: Int32

    /// Wraps a raw C descriptor.
    ///
    /// - Parameter rawValue: An open descriptor.
    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// How a file is opened for reading and writing.
    package struct AccessMode: RawRepresentable, Hashable, Sendable {
        /// The raw C access mode.
        package let rawValue: Int32

        /// Wraps a raw C access mode.
        ///
        /// - Parameter rawValue: `O_RDONLY`, `O_WRONLY` or `O_RDWR`.
        package init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `O_RDONLY`.
        package static let readOnly = AccessMode(rawValue: O_RDONLY)
        /// `O_WRONLY`.
        package static let writeOnly = AccessMode(rawValue: O_WRONLY)
        /// `O_RDWR`.
        package static let readWrite = AccessMode(rawValue: O_RDWR)
    }

    /// Options for opening a file.
    package struct OpenOptions: OptionSet, Hashable, Sendable {
        /// The raw C flags.
        package let rawValue: Int32

        /// Wraps raw C flags.
        ///
        /// - Parameter rawValue: `O_*` flags.
        package init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `O_CREAT`: create the file if it does not exist.
        package static let create = OpenOptions(rawValue: O_CREAT)
        /// `O_EXCL`: with ``create``, fail with `EEXIST` if the path exists
        /// (even as a dangling symbolic link).
        package static let exclusive = OpenOptions(rawValue: O_EXCL)
        /// `O_TRUNC`: truncate an existing regular file to zero length.
        package static let truncate = OpenOptions(rawValue: O_TRUNC)
        /// `O_NOFOLLOW`: fail with `ELOOP` if the last path component is a
        /// symbolic link.
        package static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// `O_DIRECTORY`: fail with `ENOTDIR` unless the path is a directory.
        package static let directory = OpenOptions(rawValue: O_DIRECTORY)
        /// `O_CLOEXEC`: close the descriptor in child processes.
        ///
        /// ``FileDescriptor/open(_:_:options:permissions:relativeTo:)`` always
        /// sets it, so no descriptor leaks into a spawned process.
        package static let closeOnExec = OpenOptions(rawValue: O_CLOEXEC)
    }

    /// Opens a file (`open`, or `openat` relative to a directory).
    ///
    /// `O_CLOEXEC` is always set. Retries calls a signal interrupts.
    ///
    /// - Parameters:
    ///   - path: The file; relative paths resolve against `directory`, or
    ///     the working directory when it is `nil`.
    ///   - access: Read, write, or both.
    ///   - options: `O_*` options.
    ///   - permissions: The new file's mode bits (before the umask), used
    ///     with ``OpenOptions/create``.
    ///   - directory: An open directory for `openat`, or `nil`.
    /// - Returns: The new descriptor; close it.
    /// - Throws: ``SystemError`` from `open`/`openat`.
    package static func open(
        _ path: FilePath,
        _ access: AccessMode,
        options: OpenOptions = [],
        permissions: UInt32 = 0o644,
        relativeTo directory: FileDescriptor? = nil
    ) throws(SystemError) -> FileDescriptor {
        let flags = access.rawValue | options.rawValue | O_CLOEXEC
        let base = directory?.rawValue ?? AT_FDCWD
        let fd = try pathCall(directory == nil ? "open" : "openat", path) { cPath in
            openat(base, cPath, flags, permissions)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Closes the descriptor.
    ///
    /// Never retried: on Linux the descriptor is released even when `close`
    /// reports `EINTR`, which is therefore treated as success.
    ///
    /// - Throws: ``SystemError``; `EIO` and the like report a write that
    ///   failed late (on network file systems, for instance).
    package func close() throws(SystemError) {
        if Glibc.close(rawValue) == 0 { return }
        let code = Errno.current
        if code == .interrupted { return }
        throw SystemError(code, operation: "close")
    }

    /// Runs `body`, then closes the descriptor whether or not `body` threw.
    ///
    /// An error from `body` wins over an error from closing.
    ///
    /// - Parameter body: Work with the open descriptor.
    /// - Returns: What `body` returns.
    /// - Throws: ``SystemError`` from `body` or from ``close()``.
    package func closeAfter<Result>(_ body: () throws(SystemError) -> Result) throws(SystemError) -> Result {
        let result: Result
        do {
            result = try body()
        } catch {
            try? close()
            throw error
        }
        try close()
        return result
    }
}
