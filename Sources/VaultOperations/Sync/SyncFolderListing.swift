import VaultCodecs
import VaultPOSIX

/// What one `lstat` walk of a synchronized folder saw, reduced to a digest.
///
/// Every entry below the folder (the folder itself included, nothing
/// excluded, symlinks not followed) contributes its path, type,
/// permission bits, owner, size, modification and status change times,
/// inode, device, link count and special device, in a fixed order. Any
/// change to an entry's contents, metadata or extended attributes moves
/// its status change time, which the kernel sets and no user can set
/// back, so two walks with the same digest saw the same folder (as far
/// as the scan's "unchanged file" test can tell: that test compares a
/// subset of these fields).
///
/// Used by ``SyncShortcut`` only to skip work: a walk that meets
/// anything unexpected throws, and the caller then syncs in full.
package struct SyncFolderListing: Hashable, Sendable {
    /// The SHA-256 of the canonical encoding of every entry's metadata.
    package var digest: Digest256
    /// How many entries the walk saw, the folder included.
    package var entries: UInt64

    /// Creates a listing from its parts (tests, decoding).
    package init(digest: Digest256, entries: UInt64) {
        self.digest = digest
        self.entries = entries
    }

    /// The most entries a walk takes before giving up (the sync's own limit).
    static let maximumEntries: UInt64 = 50_000_000
    /// The deepest path a walk takes before giving up.
    static let maximumDepth = 4096

    /// Walks `folder` (an absolute path).
    ///
    /// - Throws: ``SystemError`` when an entry cannot be read, a folder
    ///   was replaced while it was read, or the limits are exceeded.
    package static func read(_ folder: [UInt8]) throws(SystemError) -> SyncFolderListing {
        var walk = Walk()
        let root = try FileSystem.status(of: FilePath(bytes: folder), followSymbolicLinks: false)
        guard root.type == .directory else {
            throw SystemError(.notDirectory, operation: "sync listing", path: FilePath(bytes: folder))
        }
        walk.append(name: [], status: root)
        // Depth-first; each folder's entries are encoded sorted by name, after its own path.
        var pending: [(relative: [UInt8], status: FileStatus, depth: Int)] = [([], root, 0)]
        while let (relative, status, depth) = pending.popLast() {
            let absolute = relative.isEmpty ? folder : folder + [UInt8(ascii: "/")] + relative
            let entries = try Self.entries(of: absolute, expected: status)
            walk.append(directory: relative, count: entries.count)
            var subdirectories: [(relative: [UInt8], status: FileStatus, depth: Int)] = []
            for (name, entryStatus) in entries {
                walk.append(name: name, status: entryStatus)
                guard walk.count <= maximumEntries else {
                    throw SystemError(.overflow, operation: "sync listing", path: FilePath(bytes: absolute))
                }
                if entryStatus.type == .directory {
                    guard depth + 1 < maximumDepth else {
                        throw SystemError(.tooManySymbolicLinkLevels, operation: "sync listing", path: FilePath(bytes: absolute))
                    }
                    let child = relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name
                    subdirectories.append((child, entryStatus, depth + 1))
                }
            }
            pending.append(contentsOf: subdirectories.reversed())
        }
        return walk.finish()
    }

    /// A folder's entries and their status, sorted by name. The folder is
    /// opened without following a symlink and must still be the one
    /// `expected` describes.
    private static func entries(of path: [UInt8], expected: FileStatus) throws(SystemError) -> [(name: [UInt8], status: FileStatus)] {
        let descriptor = try FileDescriptor.open(FilePath(bytes: path), .readOnly, options: [.directory, .noFollow])
        let stream: DirectoryStream
        do throws(SystemError) {
            let opened = try descriptor.status()
            guard opened.device == expected.device, opened.inode == expected.inode else {
                throw SystemError(.stale, operation: "sync listing", path: FilePath(bytes: path))
            }
            stream = try DirectoryStream(taking: descriptor)
        } catch {
            try? descriptor.close()
            throw error
        }
        defer { try? stream.close() }
        var result: [(name: [UInt8], status: FileStatus)] = []
        while let entry = try stream.next() {
            let status = try FileSystem.status(of: FilePath(bytes: entry.name), relativeTo: stream.descriptor, followSymbolicLinks: false)
            result.append((entry.name, status))
        }
        result.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return result
    }

    /// The canonical encoding, hashed as it is produced.
    private struct Walk: ~Copyable {
        var hasher = SHA256Hasher()
        var buffer: [UInt8] = []
        var count: UInt64 = 0

        init() {
            buffer.reserveCapacity(80 * 1024)
        }

        mutating func append(directory relative: [UInt8], count entries: Int) {
            buffer.append(0x44)  // "D"
            appendInteger(UInt32(truncatingIfNeeded: relative.count))
            buffer.append(contentsOf: relative)
            appendInteger(UInt64(entries))
            flushIfFull()
        }

        mutating func append(name: [UInt8], status: FileStatus) {
            count += 1
            buffer.append(0x45)  // "E"
            appendInteger(UInt32(truncatingIfNeeded: name.count))
            buffer.append(contentsOf: name)
            buffer.append(Self.typeCode(status.type))
            appendInteger(status.permissions)
            appendInteger(status.userID)
            appendInteger(status.groupID)
            appendInteger(status.size)
            appendInteger(status.modificationTime.seconds)
            appendInteger(status.modificationTime.nanoseconds)
            appendInteger(status.changeTime.seconds)
            appendInteger(status.changeTime.nanoseconds)
            appendInteger(status.inode)
            appendInteger(status.device)
            appendInteger(status.linkCount)
            appendInteger(status.specialDevice)
            flushIfFull()
        }

        mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
        }

        mutating func flushIfFull() {
            guard buffer.count >= 64 * 1024 else { return }
            hasher.update(buffer)
            buffer.removeAll(keepingCapacity: true)
        }

        consuming func finish() -> SyncFolderListing {
            hasher.update(buffer)
            let count = self.count
            return SyncFolderListing(digest: hasher.finalize(), entries: count)
        }

        static func typeCode(_ type: FileType) -> UInt8 {
            switch type {
            case .regular: 1
            case .directory: 2
            case .symbolicLink: 3
            case .fifo: 4
            case .socket: 5
            case .characterDevice: 6
            case .blockDevice: 7
            case .unknown: 0
            }
        }
    }
}
