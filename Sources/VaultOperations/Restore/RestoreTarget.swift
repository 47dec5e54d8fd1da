import VaultPOSIX

/// The target directory of a restore, opened once; every entry inside is
/// reached from its descriptor (see ``RestoreDirectoryCache``). The
/// descriptor is closed when the last reference goes away.
final class RestoreTarget: Sendable {
    /// The target's path, as the user gave it.
    let path: [UInt8]
    /// The open target directory; valid while this object lives.
    let root: FileDescriptor
    /// Whether the target directory exists. Only a dry run leaves a missing
    /// target missing; ``root`` is then `/`, opened read-only and never
    /// used (everything below the target counts as new).
    let exists: Bool

    /// Opens the target directory, creating it and its parents when missing
    /// (unless `creating` is false: a dry run changes nothing).
    ///
    /// The path itself may pass through symbolic links: the user chose it.
    ///
    /// - Throws: ``OperationError`` with code `.targetFailed`.
    init(path: String, creating: Bool = true) throws(OperationError) {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw OperationError(.invalidArgument, "the target directory is empty")
        }
        self.path = bytes
        do {
            if !creating, (try? FileSystem.status(of: FilePath(bytes: bytes))) == nil {
                exists = false
                root = try FileDescriptor.open(FilePath("/"), .readOnly, options: [.directory])
                return
            }
            exists = true
            try Self.makeDirectories(bytes)
            root = try FileDescriptor.open(FilePath(bytes: bytes), .readOnly, options: [.directory])
        } catch {
            throw OperationError(.targetFailed, "cannot use the target directory \(path): \(error.code)")
        }
    }

    deinit {
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

    /// The prefix of the temporary names the restore writes under before
    /// renaming into place.
    static let temporaryPrefix = Array(".vault-restore-".utf8)

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

    /// Renames a complete temporary entry to its name, replacing what is
    /// there. A directory in the way (the snapshot has another kind of
    /// entry there) is removed only now, once its replacement is complete:
    /// a file whose contents cannot be read never costs the directory.
    static func moveIntoPlace(_ temporary: FilePath, as name: [UInt8], in directory: FileDescriptor) throws(SystemError) {
        let final = FilePath(bytes: name)
        do {
            try FileSystem.rename(temporary, relativeTo: directory, to: final, relativeTo: directory)
        } catch where error.code == .isDirectory || error.code == .directoryNotEmpty {
            try removeEntry(name, in: directory, isDirectory: true)
            try FileSystem.rename(temporary, relativeTo: directory, to: final, relativeTo: directory)
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
        let stream = try DirectoryStream.open(path, relativeTo: directory, followSymbolicLinks: false)
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

extension RestoreTarget {
    /// How many entries a directory holds, at any depth, without changing
    /// anything or following a symbolic link.
    static func countEntries(inside name: [UInt8], in directory: FileDescriptor) throws(SystemError) -> Int {
        let stream = try DirectoryStream.open(FilePath(bytes: name), relativeTo: directory, followSymbolicLinks: false)
        defer { try? stream.close() }
        var count = 0
        while let entry = try stream.next() {
            count += 1
            var isDirectory = entry.type == .directory
            if entry.type == .unknown {
                isDirectory = try status(of: entry.name, in: stream.descriptor)?.type == .directory
            }
            if isDirectory {
                count += try countEntries(inside: entry.name, in: stream.descriptor)
            }
        }
        return count
    }
}

/// The directories of a restore: index 0 is the target itself, every
/// other one is a name inside another. The walk of the snapshot builds the
/// table; afterwards it does not change and every task shares it.
struct RestoreDirectories: Sendable {
    /// One directory.
    struct Entry: Sendable {
        /// The index of the directory holding it.
        var parent: Int
        /// Its name there.
        var name: [UInt8]
        /// Whether the restore creates it (it did not exist).
        var isNew: Bool
    }

    /// The target; holding it keeps its descriptor open.
    let target: RestoreTarget
    /// The directories.
    private(set) var entries: [Entry]

    /// A table holding the target only.
    init(_ target: RestoreTarget) {
        self.target = target
        self.entries = [Entry(parent: -1, name: [], isNew: false)]
    }

    /// The open target directory.
    var root: FileDescriptor { target.root }

    /// Registers a directory inside another.
    ///
    /// - Returns: Its index.
    mutating func add(named name: [UInt8], in parent: Int) -> Int {
        entries.append(Entry(parent: parent, name: name, isNew: false))
        return entries.count - 1
    }

    /// Records whether the restore creates a directory.
    mutating func setNew(_ index: Int, _ isNew: Bool) {
        entries[index].isNew = isNew
    }

    /// The path of an entry in the target, for messages: one line,
    /// control bytes and invalid UTF-8 escaped (``PrintablePath``).
    ///
    /// - Parameters:
    ///   - directory: The directory holding the entry.
    ///   - name: The entry's name, or `nil` for the directory itself.
    func displayPath(_ directory: Int, _ name: [UInt8]? = nil) -> String {
        var components: [[UInt8]] = name.map { [$0] } ?? []
        var index = directory
        while index > 0 {
            components.append(entries[index].name)
            index = entries[index].parent
        }
        var bytes = target.path
        for component in components.reversed() {
            if bytes.last != UInt8(ascii: "/") { bytes.append(UInt8(ascii: "/")) }
            bytes += component
        }
        return PrintablePath.escape(bytes)
    }
}

/// Opens the directories of a restore by descriptor, for one task.
///
/// A directory is opened relative to its parent's descriptor with
/// `O_DIRECTORY | O_NOFOLLOW`, so no symbolic link in the target, whether
/// it was there before or the restore made it, is ever followed: nothing
/// is written outside the target. A directory the restore creates is made
/// (`mkdirat`, mode 0700 until its metadata is set last) when first opened;
/// several tasks may race to make it, which is harmless. Descriptors are
/// kept in a bounded cache and reopened through the chain of parents when
/// needed again.
///
/// Not thread-safe: each task has its own.
final class RestoreDirectoryCache {
    /// The directory table.
    var directories: RestoreDirectories
    private var cache: [Int: (descriptor: FileDescriptor, lastUse: UInt64)] = [:]
    private var pins: [Int: Int] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int

    /// Creates a cache over a table.
    ///
    /// - Parameters:
    ///   - directories: The table.
    ///   - capacity: How many descriptors to keep open.
    init(_ directories: RestoreDirectories, capacity: Int) {
        self.directories = directories
        self.capacity = max(4, capacity)
    }

    deinit {
        for (_, entry) in cache { try? entry.descriptor.close() }
    }

    /// The descriptor of a directory, opened through its parents when it
    /// is not in the cache, and made first when the restore creates it.
    /// Valid until the next ``trim()`` that does not find it pinned.
    ///
    /// - Throws: ``SystemError``; `ELOOP` or `ENOTDIR` when a directory on
    ///   the way is a symbolic link or a file.
    func descriptor(of index: Int) throws(SystemError) -> FileDescriptor {
        clock += 1
        if index == 0 { return directories.root }
        if let entry = cache[index] {
            cache[index] = (entry.descriptor, clock)
            return entry.descriptor
        }
        let directory = directories.entries[index]
        let parent = try descriptor(of: directory.parent)
        let name = FilePath(bytes: directory.name)
        let opened: FileDescriptor
        do {
            opened = try FileDescriptor.open(name, .readOnly, options: [.directory, .noFollow], relativeTo: parent)
        } catch where error.code == .noSuchFileOrDirectory && directory.isNew {
            do {
                try FileSystem.makeDirectory(name, permissions: 0o700, relativeTo: parent)
            } catch where error.code == .fileExists {
                // Another task made it.
            }
            opened = try FileDescriptor.open(name, .readOnly, options: [.directory, .noFollow], relativeTo: parent)
        }
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

    /// Closes a directory's cached descriptor.
    func forget(_ index: Int) {
        if let entry = cache.removeValue(forKey: index) {
            try? entry.descriptor.close()
        }
    }

    /// The path of an entry in the target, for messages.
    func displayPath(_ directory: Int, _ name: [UInt8]? = nil) -> String {
        directories.displayPath(directory, name)
    }
}

/// Fresh names for temporary entries: `.vault-restore-RUN-LANE-N`, unique
/// to a run and a task.
struct RestoreTemporaryNames {
    private let stem: [UInt8]
    private var counter = 0

    /// Names for one task of one run.
    init(run: UInt64, lane: Int) {
        stem = RestoreTarget.temporaryPrefix + Array("\(String(run, radix: 36))-\(lane)-".utf8)
    }

    /// The next name.
    mutating func next() -> FilePath {
        counter += 1
        return FilePath(bytes: stem + Array(String(counter).utf8))
    }
}
