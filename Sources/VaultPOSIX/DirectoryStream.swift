import Glibc

/// An open directory, read entry by entry (`fdopendir`, `readdir`).
///
/// The stream owns its C `DIR` and closes it in ``close()`` or, at the
/// latest, when the last reference goes away; it is a class so that the
/// `DIR` is closed exactly once. Not `Sendable`: use it from one task.
package final class DirectoryStream {
    private var handle: OpaquePointer?

    /// The directory's descriptor, for `*at` calls on its entries; valid
    /// until the stream closes.
    package let descriptor: FileDescriptor

    /// Opens a directory for reading.
    ///
    /// - Parameters:
    ///   - path: The directory.
    ///   - directory: The base for a relative `path`, or `nil`.
    ///   - followSymbolicLinks: Whether a symbolic link at `path` is
    ///     followed; when not, it fails with `ELOOP` (`O_NOFOLLOW`).
    /// - Returns: The open stream.
    /// - Throws: ``SystemError``; `ENOENT`, `ENOTDIR`, `EACCES`, `ELOOP`.
    package static func open(
        _ path: FilePath, relativeTo directory: FileDescriptor? = nil, followSymbolicLinks: Bool = true
    ) throws(SystemError) -> DirectoryStream {
        let options: FileDescriptor.OpenOptions = followSymbolicLinks ? [.directory] : [.directory, .noFollow]
        let fd = try FileDescriptor.open(path, .readOnly, options: options, relativeTo: directory)
        do {
            return try DirectoryStream(taking: fd)
        } catch {
            try? fd.close()
            throw SystemError(error.code, operation: error.operation, path: path)
        }
    }

    /// Reads an open directory (`fdopendir`).
    ///
    /// - Parameter descriptor: A descriptor of a directory; on success the
    ///   stream owns it and closes it; on failure the caller still does.
    /// - Throws: ``SystemError`` from `fdopendir`.
    package init(taking descriptor: FileDescriptor) throws(SystemError) {
        guard let handle = fdopendir(descriptor.rawValue) else {
            throw SystemError(.current, operation: "fdopendir")
        }
        self.handle = handle
        self.descriptor = descriptor
    }

    deinit {
        if let handle {
            closedir(handle)
        }
    }

    /// Reads the next entry, skipping `.` and `..`.
    ///
    /// - Returns: The entry, or `nil` at the end of the directory.
    /// - Throws: ``SystemError`` from `readdir`, or `EBADF` after ``close()``.
    package func next() throws(SystemError) -> DirectoryEntry? {
        guard let handle else { throw SystemError(Errno(rawValue: EBADF), operation: "readdir") }
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno == 0 { return nil }
                let code = Errno.current
                if code == .interrupted { continue }
                throw SystemError(code, operation: "readdir")
            }
            // `readdir` may return a record shorter than `dirent`: read the
            // name in place rather than copying the whole structure.
            let namePointer = UnsafeRawPointer(entry)
                .advanced(by: MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
                .assumingMemoryBound(to: CChar.self)
            let length = strlen(namePointer)
            let name = [UInt8](UnsafeRawBufferPointer(start: namePointer, count: length))
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                continue
            }
            return DirectoryEntry(
                name: name,
                type: FileType(directoryEntryType: entry.pointee.d_type),
                inode: UInt64(entry.pointee.d_ino))
        }
    }

    /// Closes the directory and its descriptor (`closedir`); later calls do
    /// nothing.
    ///
    /// - Throws: ``SystemError`` from `closedir`.
    package func close() throws(SystemError) {
        guard let handle else { return }
        self.handle = nil
        if closedir(handle) != 0 {
            let code = Errno.current
            if code != .interrupted { throw SystemError(code, operation: "closedir") }
        }
    }
}
