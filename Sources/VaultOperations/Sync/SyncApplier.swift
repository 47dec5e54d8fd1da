import VaultCodecs
import VaultPOSIX
import VaultRepository

/// A change a sync did not make to the folder, and why.
package struct SyncSkip: Sendable, Hashable {
    /// The path.
    package var path: SyncPath
    /// Why it was left as it is.
    package var reason: String
}

/// Carries out a plan's actions in the folder, as carefully as restore.
///
/// - Every entry is reached through its directories opened one by one with
///   `O_NOFOLLOW | O_DIRECTORY` from the folder: a symlink on the way is
///   never followed out of the folder.
/// - A file or symlink is written under a temporary name
///   (`.vault-sync-HASH.tmp`, HASH from its name) in its directory, then
///   renamed over its name; a temporary file left by a killed sync is
///   replaced when the entry is written again.
/// - Just before an entry is replaced, renamed, removed or changed, it is
///   checked against what the scan saw (type, size, times, inode; a
///   symlink's target); when it changed meanwhile, or a new entry appeared
///   where one was to be created, it is left as it is and reported, and
///   the next sync treats it as having no base.
/// - Any other failure to change an entry (permissions, full disk) is
///   reported the same way; only failing to read the repository stops the sync.
struct SyncApplier {
    let root: FilePath
    let repository: Repository
    let index: ChunkIndex
    let interrupt: InterruptFlag
    private(set) var skipped: [SyncSkip] = []
    /// Directories whose final permission bits are set last.
    private var directoryModes: [(SyncPath, UInt32)] = []

    /// What temporary files are called; scans leave them out.
    static let temporaryPrefix = ".vault-sync-"
    static let temporarySuffix = ".tmp"

    init(root: FilePath, repository: Repository, index: ChunkIndex, interrupt: InterruptFlag) {
        self.root = root
        self.repository = repository
        self.index = index
        self.interrupt = interrupt
    }

    /// Carries out the actions in order, all at once; returns what was left undone.
    mutating func apply(_ actions: [SyncAction]) async throws -> [SyncSkip] {
        try await applyPart(actions)
        return finish()
    }

    /// Carries out some of the actions in order (call ``finish()`` after the last part).
    mutating func applyPart(_ actions: some Collection<SyncAction>) async throws {
        for action in actions {
            try interrupt.check()
            do {
                try await apply(action)
            } catch let error as SystemError {
                skip(action.path, "\(error)")
            }
        }
    }

    /// Sets the directories' final permission bits (deepest first, so a
    /// read-only directory is made so after its entries); returns what was left undone.
    mutating func finish() -> [SyncSkip] {
        defer { directoryModes = [] }
        // One `syncfs` instead of an `fsync` per file: the base is recorded
        // only after what was written is on disk, so a power cut cannot make a
        // half-written file look like a local edit.
        if let directory = try? FileDescriptor.open(root, .readOnly, options: [.directory]) {
            directory.syncFileSystem()
            try? directory.close()
        }
        for (path, mode) in directoryModes.sorted(by: { ($0.0.depth, $0.0) > ($1.0.depth, $1.0) }) {
            do {
                let directory = try openParent(path)
                defer { try? directory.close() }
                try FileSystem.setPermissions(of: FilePath(bytes: path.name), to: mode, relativeTo: directory)
            } catch {
                skip(path, "\(error)")
            }
        }
        return skipped
    }

    private mutating func skip(_ path: SyncPath, _ reason: String) {
        skipped.append(SyncSkip(path: path, reason: reason))
    }

    private mutating func apply(_ action: SyncAction) async throws {
        let path = action.path
        let directory: FileDescriptor
        do {
            directory = try openParent(path)
        } catch {
            skip(path, "a folder on the way is missing or not a folder (\(error.code))")
            return
        }
        defer { try? directory.close() }
        let name = FilePath(bytes: path.name)
        if case .write(_, let node, let expected) = action {
            try await write(node, at: path, name: name, expected: expected, in: directory)
        } else if let reason = try change(action, name: name, in: directory) {
            skip(path, reason)
        }
    }

    /// Makes a change other than writing; returns why it was not made, if it was not.
    private mutating func change(_ action: SyncAction, name: FilePath, in directory: FileDescriptor) throws(SystemError) -> String? {
        let changed = "changed since the scan: left as it is"
        switch action {
        case .rename(_, let to, let expected):
            guard stillMatches(expected, name, in: directory) else { return changed }
            let destination = FilePath(bytes: to.name)
            do {
                try FileSystem.renameNoReplace(name, relativeTo: directory, to: destination, relativeTo: directory)
            } catch {
                guard error.code == .invalidArgument || error.code == .noFunction else { throw error }
                guard !exists(destination, in: directory) else { return "'\(to)' appeared since the scan" }
                try FileSystem.rename(name, relativeTo: directory, to: destination, relativeTo: directory)
            }
        case .remove(_, let expected):
            guard stillMatches(expected, name, in: directory) else { return changed }
            if expected.type == .directory {
                do {
                    try FileSystem.removeDirectory(name, relativeTo: directory)
                } catch {
                    guard error.code == .directoryNotEmpty || error.code == .fileExists else { throw error }
                    return "holds entries the sync did not remove: left as it is"
                }
            } else {
                try FileSystem.removeFile(name, relativeTo: directory)
            }
        case .makeDirectory(let path, let node):
            do {
                try FileSystem.makeDirectory(name, permissions: 0o700, relativeTo: directory)
            } catch {
                guard error.code == .fileExists else { throw error }
                let status = try FileSystem.status(of: name, relativeTo: directory, followSymbolicLinks: false)
                guard status.type == .directory else { return "something else appeared there since the scan" }
            }
            directoryModes.append((path, node.mode & 0o7777))
        case .setMode(let path, let mode, let expected):
            guard stillMatches(expected, name, in: directory) else { return changed }
            if expected.type == .directory {
                directoryModes.append((path, mode & 0o7777))
            } else {
                try FileSystem.setPermissions(of: name, to: mode, relativeTo: directory)
            }
        case .write:
            break
        }
        return nil
    }

    private mutating func write(_ node: TreeNode, at path: SyncPath, name: FilePath, expected: TreeNode?, in directory: FileDescriptor) async throws {
        // Named after the entry, so the temporary file a killed sync left is replaced by the next try.
        let temporary = FilePath(bytes: Array("\(Self.temporaryPrefix)\(SHA256Hasher.hash(path.name).hex.prefix(16))\(Self.temporarySuffix)".utf8))
        do {
            try FileSystem.removeFile(temporary, relativeTo: directory)
        } catch {
            guard error.code == .noSuchFileOrDirectory else { throw error }
        }
        switch node.type {
        case .file:
            let file = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600, relativeTo: directory)
            do {
                for id in node.content {
                    try interrupt.check()
                    guard let location = index.location(of: .data(id)) else {
                        throw RepositoryError(.damaged, "data blob \(id.shortHex) of '\(path)' is not in the index")
                    }
                    try file.writeAll(try await repository.loadBlob(id, at: location))
                }
                try file.setPermissions(node.mode & 0o7777)
                let time = Self.fileTime(node.mtime)
                try file.setTimes(access: time, modification: time)
                try file.close()
            } catch {
                try? file.close()
                try? FileSystem.removeFile(temporary, relativeTo: directory)
                throw error
            }
        case .symlink:
            try FileSystem.makeSymbolicLink(temporary, pointingTo: node.linkTarget, relativeTo: directory)
        default:
            return skip(path, "\(node.type) entries are not synchronized")
        }
        let unchanged = if let expected { stillMatches(expected, name, in: directory) } else { !exists(name, in: directory) }
        guard unchanged else {
            try? FileSystem.removeFile(temporary, relativeTo: directory)
            return skip(path, "changed since the scan: left as it is")
        }
        do {
            try FileSystem.rename(temporary, relativeTo: directory, to: name, relativeTo: directory)
        } catch {
            try? FileSystem.removeFile(temporary, relativeTo: directory)
            throw error
        }
    }

    /// Opens the directory holding `path`, refusing symlinks on the way.
    private func openParent(_ path: SyncPath) throws(SystemError) -> FileDescriptor {
        var directory = try FileDescriptor.open(root, .readOnly, options: [.directory])
        for component in path.components.dropLast() {
            do {
                let next = try FileDescriptor.open(FilePath(bytes: component), .readOnly, options: [.directory, .noFollow], relativeTo: directory)
                try? directory.close()
                directory = next
            } catch {
                try? directory.close()
                throw error
            }
        }
        return directory
    }

    private func exists(_ name: FilePath, in directory: FileDescriptor) -> Bool {
        do {
            _ = try FileSystem.status(of: name, relativeTo: directory, followSymbolicLinks: false)
            return true
        } catch {
            return error.code != .noSuchFileOrDirectory
        }
    }

    /// Whether the entry is still what the scan recorded.
    private func stillMatches(_ expected: TreeNode, _ name: FilePath, in directory: FileDescriptor) -> Bool {
        guard let status = try? FileSystem.status(of: name, relativeTo: directory, followSymbolicLinks: false) else { return false }
        switch expected.type {
        case .file:
            return status.type == .regular && BackupArchiver.isUnchanged(expected, status)
        case .directory:
            return status.type == .directory
        case .symlink:
            return status.type == .symbolicLink && (try? FileSystem.linkTarget(of: name, relativeTo: directory)) == expected.linkTarget
        case .fifo: return status.type == .fifo
        case .socket: return status.type == .socket
        case .characterDevice: return status.type == .characterDevice && status.specialDevice == expected.rdev
        case .blockDevice: return status.type == .blockDevice && status.specialDevice == expected.rdev
        }
    }

    static func fileTime(_ time: Timestamp) -> FileTime {
        let (seconds, remainder) = time.nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0
            ? FileTime(seconds: seconds - 1, nanoseconds: Int32(remainder + 1_000_000_000))
            : FileTime(seconds: seconds, nanoseconds: Int32(remainder))
    }
}
