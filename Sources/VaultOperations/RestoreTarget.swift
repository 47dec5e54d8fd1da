import Glibc
import VaultPOSIX

/// The target of a restore, reached only through directory descriptors.
///
/// Every directory the restore creates or enters gets an index; index 0 is
/// the target itself. A directory is opened relative to its parent's
/// descriptor with `O_DIRECTORY | O_NOFOLLOW`, so no symbolic link in the
/// target, whether it was there before or the restore made it, is ever
/// followed: nothing is written outside the target. Descriptors are kept
/// in a bounded cache and reopened through the chain of parents when
/// needed again.
///
/// Not thread-safe: one task owns it.
final class RestoreTarget {
    /// A directory: its parent's index and its name there.
    struct Directory {
        var parent: Int
        var name: [UInt8]
    }

    /// The target's path, as the user gave it.
    let path: [UInt8]
    private var directories: [Directory] = [Directory(parent: -1, name: [])]
    private let root: FileDescriptor
    private var cache: [Int: (descriptor: FileDescriptor, lastUse: UInt64)] = [:]
    private var pins: [Int: Int] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int

    /// The prefix of the temporary names the restore writes under before
    /// renaming into place.
    static let temporaryPrefix = Array(".vault-restore-".utf8)
    private let temporaryStem: [UInt8]
    private var temporaryCounter = 0

    /// Opens the target directory, creating it and its parents when missing.
    ///
    /// The path itself may pass through symbolic links: the user chose it.
    ///
    /// - Parameters:
    ///   - path: The target directory.
    ///   - capacity: How many directory descriptors to keep open.
    /// - Throws: ``OperationError`` with code `.targetFailed`.
    init(path: String, capacity: Int = 128) throws(OperationError) {
        self.path = Array(path.utf8)
        self.capacity = max(4, capacity)
        self.temporaryStem = Self.temporaryPrefix + Array(String(UInt64.random(in: 0...UInt64.max), radix: 36).utf8) + [UInt8(ascii: "-")]
        var bytes = self.path
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw OperationError(.invalidArgument, "the target directory is empty")
        }
        do {
            try Self.makeDirectories(bytes)
            root = try FileDescriptor.open(FilePath(bytes: bytes), .readOnly, options: [.directory])
        } catch {
            throw OperationError(.targetFailed, "cannot use the target directory \(path): \(error.code)")
        }
    }

    deinit {
        for (_, entry) in cache { try? entry.descriptor.close() }
        try? root.close()
    }

    /// `mkdir -p`.
    private static func makeDirectories(_ path: [UInt8]) throws(SystemError) {
        if let status = try? FileSystem.status(of: FilePath(bytes: path)) {
            guard status.type == .directory else { throw SystemError(.notDirectory, operation: "mkdir", path: FilePath(bytes: path)) }
            return
        }
        if let slash = path.lastIndex(of: UInt8(ascii: "/")), slash > 0 {
            try makeDirectories(Array(path[..<slash]))
        }
        do {
            try FileSystem.makeDirectory(FilePath(bytes: path), permissions: 0o755)
        } catch where error.code == .fileExists {
            // Made meanwhile by someone else.
        }
    }

    // MARK: Directories

    /// Registers a directory inside another; it need not exist yet.
    ///
    /// - Returns: Its index.
    func addDirectory(named name: [UInt8], in parent: Int) -> Int {
        directories.append(Directory(parent: parent, name: name))
        return directories.count - 1
    }

    /// The descriptor of a directory, opened through its parents when it is
    /// not in the cache. Valid until the next ``trim()`` that does not find
    /// it pinned.
    ///
    /// - Throws: ``SystemError``; `ELOOP` or `ENOTDIR` when a directory on
    ///   the way was replaced by a symbolic link or a file.
    func descriptor(of index: Int) throws(SystemError) -> FileDescriptor {
        clock += 1
        if index == 0 { return root }
        if let entry = cache[index] {
            cache[index] = (entry.descriptor, clock)
            return entry.descriptor
        }
        let directory = directories[index]
        let parent = try descriptor(of: directory.parent)
        let opened = try FileDescriptor.open(
            FilePath(bytes: directory.name), .readOnly, options: [.directory, .noFollow], relativeTo: parent)
        cache[index] = (opened, clock)
        return opened
    }

    /// Keeps a directory's descriptor open through ``trim()`` until ``unpin(_:)``.
    func pin(_ index: Int) {
        pins[index, default: 0] += 1
    }

    /// Undoes one ``pin(_:)``.
    func unpin(_ index: Int) {
        if let count = pins[index], count > 1 {
            pins[index] = count - 1
        } else {
            pins[index] = nil
        }
    }

    /// Closes the least recently used descriptors beyond the capacity.
    /// Call it only where no descriptor obtained earlier is still in use,
    /// unless pinned.
    func trim() {
        guard cache.count > capacity else { return }
        let victims = cache.filter { pins[$0.key] == nil }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (index, entry) in victims.prefix(cache.count - capacity / 2) {
            try? entry.descriptor.close()
            cache[index] = nil
        }
    }

    /// Closes a directory's cached descriptor (after it was removed or replaced).
    func forget(_ index: Int) {
        if let entry = cache.removeValue(forKey: index) {
            try? entry.descriptor.close()
        }
    }

    /// The path of an entry in the target, for messages.
    ///
    /// - Parameters:
    ///   - directory: The directory holding the entry.
    ///   - name: The entry's name, or `nil` for the directory itself.
    func displayPath(_ directory: Int, _ name: [UInt8]? = nil) -> String {
        var components: [[UInt8]] = name.map { [$0] } ?? []
        var index = directory
        while index > 0 {
            components.append(directories[index].name)
            index = directories[index].parent
        }
        var bytes = path
        for component in components.reversed() {
            if bytes.last != UInt8(ascii: "/") { bytes.append(UInt8(ascii: "/")) }
            bytes += component
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The parent and name of a directory.
    func directory(_ index: Int) -> Directory {
        directories[index]
    }

    // MARK: Entries

    /// A fresh name for a temporary entry: `.vault-restore-RUN-N`.
    func temporaryName() -> FilePath {
        temporaryCounter += 1
        return FilePath(bytes: temporaryStem + Array(String(temporaryCounter).utf8))
    }

    /// Whether `name` is one the restore writes under before renaming into place.
    static func isTemporaryName(_ name: [UInt8]) -> Bool {
        name.starts(with: temporaryPrefix)
    }

    /// Describes an entry without following a symbolic link.
    ///
    /// - Returns: The status, or `nil` when there is no such entry.
    static func status(of name: [UInt8], in directory: FileDescriptor) throws(SystemError) -> FileStatus? {
        do {
            return try FileSystem.status(of: FilePath(bytes: name), relativeTo: directory, followSymbolicLinks: false)
        } catch where error.code == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// Removes an entry of any kind; a directory with everything in it.
    /// Symbolic links are removed, never followed.
    ///
    /// - Returns: The number of entries removed.
    @discardableResult
    static func removeEntry(_ name: [UInt8], in directory: FileDescriptor, isDirectory: Bool) throws(SystemError) -> Int {
        let path = FilePath(bytes: name)
        if !isDirectory {
            do {
                try FileSystem.removeFile(path, relativeTo: directory)
                return 1
            } catch where error.code == .isDirectory || error.code == .notPermitted {
                // A directory after all (unlink reports EISDIR, or EPERM on some systems).
            }
        }
        var removed = 0
        let child = try FileDescriptor.open(path, .readOnly, options: [.directory, .noFollow], relativeTo: directory)
        let stream: DirectoryStream
        do {
            stream = try DirectoryStream(taking: child)
        } catch {
            try? child.close()
            throw error
        }
        defer { try? stream.close() }
        while let entry = try stream.next() {
            var entryIsDirectory = entry.type == .directory
            if entry.type == .unknown {
                entryIsDirectory = try status(of: entry.name, in: stream.descriptor)?.type == .directory
            }
            removed += try removeEntry(entry.name, in: stream.descriptor, isDirectory: entryIsDirectory)
        }
        try FileSystem.removeDirectory(path, relativeTo: directory)
        return removed + 1
    }
}
