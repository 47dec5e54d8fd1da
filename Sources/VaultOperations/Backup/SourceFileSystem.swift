import VaultPOSIX

/// The few calls a backup makes on the file system it reads.
///
/// Paths are absolute byte strings (names need not be UTF-8). No call
/// follows a symbolic link in the last component. ``LocalSourceFileSystem``
/// is the real one; tests give the backup a fake one to make entries
/// vanish, change type or fail between one call and the next.
package protocol SourceFileSystem: Sendable {
    /// Describes an entry, not following a symbolic link (`lstat`).
    ///
    /// - Throws: ``SystemError``; `ENOENT` when it does not exist.
    func status(of path: [UInt8]) throws(SystemError) -> FileStatus

    /// Lists a directory, describing each entry as it is read (`readdir`,
    /// then `fstatat` without following links); `.` and `..` are left out.
    ///
    /// - Parameters:
    ///   - path: The directory.
    ///   - entry: Called with each entry's name and its status, or the error
    ///     that describing it gave, in the order the directory lists them.
    /// - Throws: ``SystemError`` when the directory cannot be opened or read;
    ///   the entries already passed to `entry` stay passed.
    func listDirectory(_ path: [UInt8], _ entry: (_ name: [UInt8], _ status: Result<FileStatus, SystemError>) -> Void) throws(SystemError)

    /// The target of a symbolic link (`readlink`).
    func linkTarget(of path: [UInt8]) throws(SystemError) -> [UInt8]

    /// An entry's extended attributes, not following a symbolic link;
    /// empty where the file system has none.
    func extendedAttributes(of path: [UInt8]) throws(SystemError) -> [(name: [UInt8], value: [UInt8])]

    /// Opens a file for reading, failing on a symbolic link (`O_NOFOLLOW`).
    ///
    /// - Returns: The open file; the caller closes it.
    func openFile(_ path: [UInt8]) throws(SystemError) -> any SourceFile
}

/// A file a backup reads: its status and its bytes.
package protocol SourceFile {
    /// Describes the open file (`fstat`).
    func status() throws(SystemError) -> FileStatus

    /// Reads from the current offset until `buffer` is full or the file ends.
    ///
    /// - Returns: The number of bytes read; less than `buffer.count` only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int

    /// Reads up to `count` bytes from `offset`, leaving the current offset alone.
    func read(fromAbsoluteOffset offset: Int64, count: Int) throws(SystemError) -> [UInt8]

    /// Closes the file.
    func close() throws(SystemError)
}
