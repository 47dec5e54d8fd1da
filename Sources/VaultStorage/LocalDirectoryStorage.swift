import VaultPOSIX

/// A ``Storage`` in a local folder: an internal disk, a removable drive, a
/// network mount.
///
/// Layout, relative to the root folder:
///
///     config
///     keys/NAME   locks/NAME   snapshots/NAME   index/NAME
///     data/XX/NAME      (XX: the first two hex digits of NAME)
///
/// ``create(at:)`` makes all these folders, including the 256 `data`
/// shards; `put` also recreates a missing folder on demand (tools that
/// copy a repository sometimes drop empty folders), and listings skip
/// missing ones.
///
/// `put` writes the object to a temporary file (`.tmp-` and 16 random hex
/// digits, which no listing or read mistakes for an object) in the
/// object's folder, flushes it, then renames it into place with
/// `renameat2(RENAME_NOREPLACE)`, which fails rather than replaces an
/// existing object, and flushes the folder. It needs no hard links,
/// extended attributes or special characters, so FAT and exFAT drives
/// work. Where the file system does not support `RENAME_NOREPLACE`, `put`
/// checks that the name is free and then renames: a race with another
/// writer storing the same name in between would let the later rename
/// replace the earlier object. Where names are hashes of the contents, the
/// replacement holds the same bytes; where they are chosen at random, two
/// writers choosing the same one is vanishingly unlikely.
///
/// A crash can leave temporary files behind, never partial objects;
/// ``removeStaleTemporaryFiles(olderThan:)`` removes them.
///
/// Files are created with mode 0600 and folders with 0700: a repository is
/// private to its owner.
///
/// The system calls block; they run directly in the async methods.
package struct LocalDirectoryStorage: Storage {
    /// The root folder's absolute path.
    package let location: String

    /// A local disk: four calls in flight, `put` never replaces
    /// (`RENAME_NOREPLACE`), listings see every finished `put` at once.
    package var capabilities: StorageCapabilities {
        StorageCapabilities(
            preferredConcurrency: 4, putRefusesToReplace: publishing == .renameNoReplace, listingIsImmediatelyConsistent: true)
    }

    /// How `put` makes a finished temporary file the object.
    enum Publishing: Sendable {
        /// `renameat2(RENAME_NOREPLACE)`, or check-then-rename where the file
        /// system does not support it.
        case renameNoReplace
        /// Always check that the name is free, then rename; for testing the
        /// fallback on file systems that do support `RENAME_NOREPLACE`.
        case checkThenRename
    }

    let layout: LocalDirectoryLayout
    let publishing: Publishing

    /// Opens the storage in an existing folder.
    ///
    /// Only checks that the folder exists; whether it holds a repository is
    /// for the caller to find out (by reading ``ObjectName/config``).
    ///
    /// - Parameter path: The root folder; a relative path is resolved
    ///   against the working directory now.
    /// - Throws: ``StorageError``; `.locationUnavailable` when the folder
    ///   does not exist or is not a folder, `.permissionDenied` when it
    ///   cannot be examined.
    package init(at path: String) throws(StorageError) {
        try self.init(at: path, publishing: .renameNoReplace)
    }

    /// Opens the storage, choosing how `put` publishes objects (for tests).
    init(at path: String, publishing: Publishing) throws(StorageError) {
        let root = try Self.absolute(path)
        let status: FileStatus
        do {
            status = try FileSystem.status(of: root)
        } catch {
            let code: StorageError.Code = StorageError.Code(error.code) == .permissionDenied ? .permissionDenied : .locationUnavailable
            throw StorageError(code, name: nil, message: "no repository folder at '\(root)': \(error)")
        }
        guard status.type == .directory else {
            throw StorageError(.locationUnavailable, name: nil, message: "'\(root)' is not a folder")
        }
        self.location = root.description
        self.layout = LocalDirectoryLayout(root: root)
        self.publishing = publishing
    }

    /// Creates a storage in a new or empty folder, with all its folders.
    ///
    /// The root's parent must exist: creating it too could silently put a
    /// repository on the internal disk when a removable drive is not
    /// mounted.
    ///
    /// - Parameter path: The root folder; it must not exist, or be empty.
    /// - Returns: The new, empty storage.
    /// - Throws: ``StorageError``; `.alreadyExists` when the folder is not
    ///   empty or is a file, `.locationUnavailable` when its parent is
    ///   missing, `.permissionDenied`, `.noSpace`, `.io`.
    package static func create(at path: String) throws(StorageError) -> LocalDirectoryStorage {
        let root = try absolute(path)
        let action = "cannot create a repository in '\(root)'"
        let existing: FileStatus?
        do {
            existing = try FileSystem.status(of: root)
        } catch where error.code == .noSuchFileOrDirectory {
            existing = nil
        } catch {
            throw StorageError(error, action, nil)
        }
        if let existing {
            guard existing.type == .directory else {
                throw StorageError(.alreadyExists, name: nil, message: "\(action): it exists and is not a folder")
            }
            let isEmpty: Bool
            do {
                isEmpty = try isEmptyFolder(root)
            } catch {
                throw StorageError(error, action, nil)
            }
            guard isEmpty else {
                throw StorageError(.alreadyExists, name: nil, message: "\(action): the folder is not empty")
            }
        } else {
            do throws(SystemError) {
                try FileSystem.makeDirectory(root, permissions: 0o700)
                try syncFolder(parent(of: root))
            } catch where error.code == .noSuchFileOrDirectory {
                throw StorageError(.locationUnavailable, name: nil, message: "\(action): its parent folder does not exist")
            } catch {
                throw StorageError(error, action, nil)
            }
        }
        do throws(SystemError) {
            for kind in ObjectKind.allCases where kind != .config {
                try FileSystem.makeDirectory(root.appending(FilePath(kind.rawValue)), permissions: 0o700)
            }
            let data = root.appending("data")
            for shard in LocalDirectoryLayout.shards {
                try FileSystem.makeDirectory(data.appending(FilePath(shard)), permissions: 0o700)
            }
            try syncFolder(data)
            try syncFolder(root)
        } catch {
            throw StorageError(error, action, nil)
        }
        return try LocalDirectoryStorage(at: root.description)
    }

    // MARK: - Storage

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        let action = "cannot store"
        let folderPath = layout.folder(of: name)
        let folder = try openFolder(of: name, action, creatingIfMissing: true)
        defer { try? folder.close() }
        // Refuse early, without writing, when the object already exists;
        // `publish` checks again, atomically where it can.
        if (try? FileSystem.status(of: FilePath(name.name), relativeTo: folder, followSymbolicLinks: false)) != nil {
            throw alreadyExists(name)
        }
        let temporary = LocalDirectoryLayout.temporaryName()
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600, relativeTo: folder)
        } catch {
            throw storageError(error, action, name, path: folderPath.appending(temporary), objectMayBeMissing: false)
        }
        do throws(SystemError) {
            do {
                try file.writeAll(bytes)
                try file.sync()
            } catch {
                try? file.close()
                throw error
            }
            try file.close()
            try publish(temporary, as: FilePath(name.name), in: folder)
        } catch {
            try? FileSystem.removeFile(temporary, relativeTo: folder)
            if error.code == .fileExists {
                throw alreadyExists(name)
            }
            throw storageError(error, action, name, path: folderPath.appending(temporary), objectMayBeMissing: false)
        }
        do {
            try Self.syncFolder(folder)
        } catch {
            throw storageError(error, action, name, path: folderPath, objectMayBeMissing: false)
        }
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        try read(name) { (file, size) throws(StorageError) in
            try read(file, name, offset: 0, count: size)
        }
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        try read(name) { (file, size) throws(StorageError) in
            guard range.lowerBound >= 0, range.upperBound <= size else {
                throw StorageError(
                    .invalidRange, name: name,
                    message: "cannot read bytes \(range.lowerBound)..<\(range.upperBound) of \(name): it has \(size) bytes")
            }
            return try read(file, name, offset: range.lowerBound, count: range.upperBound - range.lowerBound)
        }
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        let path = layout.path(of: name)
        let status: FileStatus
        do {
            status = try FileSystem.status(of: path)
        } catch {
            throw storageError(error, "cannot examine", name, path: path)
        }
        guard status.type == .regular else {
            throw StorageError(.io, name: name, message: "cannot examine \(name): '\(path)' is not a regular file")
        }
        return ObjectInfo(name: name, size: status.size, modificationTime: StorageTime(status.modificationTime))
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let layout = layout
        return ObjectListing {
            let listing = LocalDirectoryListing(kind, in: layout)
            return { () throws(StorageError) -> [ObjectInfo]? in
                var page: [ObjectInfo] = []
                while page.count < 16, let info = try listing.next() {
                    page.append(info)
                }
                return page.isEmpty ? nil : page
            }
        }
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        let action = "cannot delete"
        let folder = try openFolder(of: name, action, creatingIfMissing: false)
        defer { try? folder.close() }
        do {
            try FileSystem.removeFile(FilePath(name.name), relativeTo: folder)
        } catch {
            throw storageError(error, action, name, path: layout.path(of: name))
        }
        do {
            try Self.syncFolder(folder)
        } catch {
            throw storageError(error, action, name, path: layout.folder(of: name), objectMayBeMissing: false)
        }
    }

    // MARK: - Maintenance

    /// Removes temporary files that crashed or killed writers left behind.
    ///
    /// Only files older than `age` go, so that a `put` running in another
    /// process keeps its file.
    ///
    /// - Parameter age: How old (by modification time) a temporary file
    ///   must be to be removed.
    /// - Returns: How many files were removed.
    /// - Throws: ``StorageError`` when a folder cannot be read or a file
    ///   cannot be removed.
    @discardableResult
    package func removeStaleTemporaryFiles(olderThan age: Duration) async throws(StorageError) -> Int {
        let now = FileTime.now
        let cutoff = FileTime(seconds: now.seconds - age.components.seconds, nanoseconds: now.nanoseconds)
        var folders: Set<[String]> = []
        for kind in ObjectKind.allCases {
            folders.formUnion(LocalDirectoryLayout.folders(of: kind))
        }
        var removed = 0
        for components in folders {
            let path = layout.folder(components)
            do throws(SystemError) {
                let stream: DirectoryStream
                do {
                    stream = try DirectoryStream.open(path)
                } catch where error.code == .noSuchFileOrDirectory {
                    continue
                }
                defer { try? stream.close() }
                var removedHere = 0
                while let entry = try stream.next() {
                    guard LocalDirectoryLayout.isTemporary(entry.name) else { continue }
                    let entryPath = FilePath(bytes: entry.name)
                    let status = try FileSystem.status(of: entryPath, relativeTo: stream.descriptor, followSymbolicLinks: false)
                    guard status.type == .regular, status.modificationTime < cutoff else { continue }
                    try FileSystem.removeFile(entryPath, relativeTo: stream.descriptor)
                    removedHere += 1
                }
                if removedHere > 0 {
                    try Self.syncFolder(stream.descriptor)
                    removed += removedHere
                }
            } catch {
                var error = error
                if let relative = error.path, !relative.isAbsolute { error.path = path.appending(relative) }
                throw StorageError(error, "cannot remove temporary files", nil)
            }
        }
        return removed
    }

    // MARK: - Helpers

    /// Opens the folder that holds `name`, creating missing folders first
    /// if asked.
    private func openFolder(of name: ObjectName, _ action: String, creatingIfMissing: Bool) throws(StorageError) -> FileDescriptor {
        let components = LocalDirectoryLayout.folderComponents(of: name)
        let path = layout.folder(components)
        do {
            return try FileDescriptor.open(path, .readOnly, options: [.directory])
        } catch where error.code == .noSuchFileOrDirectory {
            guard creatingIfMissing, !components.isEmpty else {
                throw missing(name, action)
            }
        } catch {
            throw storageError(error, action, name, path: path)
        }
        for depth in 1...components.count {
            let folder = layout.folder(Array(components.prefix(depth)))
            do {
                try FileSystem.makeDirectory(folder, permissions: 0o700)
                try Self.syncFolder(Self.parent(of: folder))
            } catch where error.code == .fileExists {
                continue
            } catch {
                throw storageError(error, action, name, path: folder, objectMayBeMissing: false)
            }
        }
        do {
            return try FileDescriptor.open(path, .readOnly, options: [.directory])
        } catch {
            throw storageError(error, action, name, path: path, objectMayBeMissing: false)
        }
    }

    /// Opens `name`, checks it is a regular file, and calls `body` with the
    /// descriptor and the size; closes the file afterwards.
    private func read<Result>(
        _ name: ObjectName, _ body: (FileDescriptor, Int64) throws(StorageError) -> Result
    ) throws(StorageError) -> Result {
        let action = "cannot read"
        let path = layout.path(of: name)
        let file: FileDescriptor
        let status: FileStatus
        do {
            file = try FileDescriptor.open(path, .readOnly)
        } catch {
            throw storageError(error, action, name, path: path)
        }
        defer { try? file.close() }
        do {
            status = try file.status()
        } catch {
            throw storageError(error, action, name, path: path)
        }
        guard status.type == .regular else {
            throw StorageError(.io, name: name, message: "\(action) \(name): '\(path)' is not a regular file")
        }
        return try body(file, status.size)
    }

    /// Reads exactly `count` bytes of an object from `offset`.
    private func read(_ file: FileDescriptor, _ name: ObjectName, offset: Int64, count: Int64) throws(StorageError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try file.read(fromAbsoluteOffset: offset, count: Int(count))
        } catch {
            throw storageError(error, "cannot read", name, path: layout.path(of: name))
        }
        guard bytes.count == count else {
            throw StorageError(.io, name: name, message: "cannot read \(name): '\(layout.path(of: name))' ended early; it was changed while being read")
        }
        return bytes
    }

    /// Renames a finished temporary file to the object's name without
    /// replacing an existing object (see the type's documentation).
    private func publish(_ temporary: FilePath, as final: FilePath, in folder: FileDescriptor) throws(SystemError) {
        if publishing == .renameNoReplace {
            do {
                try FileSystem.renameNoReplace(temporary, relativeTo: folder, to: final, relativeTo: folder)
                return
            } catch where ![.invalidArgument, .noFunction, .notSupported].contains(error.code) {
                throw error
            } catch {
                // RENAME_NOREPLACE is not supported here; fall back.
            }
        }
        do throws(SystemError) {
            _ = try FileSystem.status(of: final, relativeTo: folder, followSymbolicLinks: false)
            throw SystemError(.fileExists, operation: "rename", path: temporary, destination: final)
        } catch where error.code == .noSuchFileOrDirectory {
            try FileSystem.rename(temporary, relativeTo: folder, to: final, relativeTo: folder)
        }
    }

    /// The error for a `put` of an existing object.
    private func alreadyExists(_ name: ObjectName) -> StorageError {
        StorageError(.alreadyExists, name: name, message: "cannot store \(name): an object of that name already exists in '\(location)'")
    }

    /// The error for a missing object: `.notFound`, unless the whole root
    /// folder has gone (a drive was unplugged), which is `.locationUnavailable`.
    private func missing(_ name: ObjectName, _ action: String) -> StorageError {
        rootUnavailable(name, action)
            ?? StorageError(.notFound, name: name, message: "\(action) \(name): no such object in '\(location)'")
    }

    /// `.locationUnavailable` if the root folder has gone, else `nil`.
    private func rootUnavailable(_ name: ObjectName, _ action: String) -> StorageError? {
        if let status = try? FileSystem.status(of: layout.root), status.type == .directory {
            return nil
        }
        return StorageError(.locationUnavailable, name: name, message: "\(action) \(name): the repository folder '\(location)' is no longer available")
    }

    /// A storage error for a failed call on `path`.
    ///
    /// The error's paths become absolute: a path an `*at` call recorded
    /// relative to `path`'s folder is resolved against it, and a call that
    /// recorded none (`write`, `fsync`) gets `path`.
    ///
    /// - Parameter objectMayBeMissing: Whether `ENOENT` means the object
    ///   does not exist (reading, deleting), rather than that something
    ///   vanished under a `put`.
    private func storageError(
        _ error: SystemError, _ action: String, _ name: ObjectName, path: FilePath, objectMayBeMissing: Bool = true
    ) -> StorageError {
        if error.code == .noSuchFileOrDirectory {
            if objectMayBeMissing { return missing(name, action) }
            if let unavailable = rootUnavailable(name, action) { return unavailable }
        }
        var error = error
        let folder = Self.parent(of: path)
        if let recorded = error.path {
            if !recorded.isAbsolute { error.path = folder.appending(recorded) }
        } else {
            error.path = path
        }
        if let destination = error.destination, !destination.isAbsolute {
            error.destination = folder.appending(destination)
        }
        return StorageError(error, action, name)
    }

    /// Flushes a folder's entries to the device.
    ///
    /// File systems that cannot flush a folder (`EINVAL`, `ENOTSUP`: some
    /// FUSE and network file systems) are tolerated.
    private static func syncFolder(_ folder: FileDescriptor) throws(SystemError) {
        do {
            try folder.sync()
        } catch where [.invalidArgument, .notSupported].contains(error.code) {
            // Nothing more can be done on this file system.
        }
    }

    /// Opens, flushes and closes a folder.
    private static func syncFolder(_ path: FilePath) throws(SystemError) {
        let folder = try FileDescriptor.open(path, .readOnly, options: [.directory])
        try folder.closeAfter { () throws(SystemError) in try syncFolder(folder) }
    }

    /// Whether a folder has no entries.
    private static func isEmptyFolder(_ path: FilePath) throws(SystemError) -> Bool {
        let stream = try DirectoryStream.open(path)
        defer { try? stream.close() }
        return try stream.next() == nil
    }

    /// The folder containing `path`.
    private static func parent(of path: FilePath) -> FilePath {
        var bytes = path.bytes
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == 0 ? "/" : FilePath(bytes: Array(bytes[..<slash]))
    }

    /// `path` made absolute against the working directory, without `.`
    /// components or repeated slashes (`..` stays: resolving it would need
    /// the file system).
    private static func absolute(_ path: String) throws(StorageError) -> FilePath {
        var path = FilePath(path)
        if !path.isAbsolute {
            do {
                path = try FileSystem.currentDirectory().appending(path)
            } catch {
                throw StorageError(.locationUnavailable, name: nil, message: "cannot find the repository folder '\(path)': \(error)")
            }
        }
        let slash = UInt8(ascii: "/")
        var bytes: [UInt8] = []
        for component in path.bytes.split(separator: slash) where !component.elementsEqual([UInt8(ascii: ".")]) {
            bytes.append(slash)
            bytes += component
        }
        return FilePath(bytes: bytes.isEmpty ? [slash] : bytes)
    }
}
