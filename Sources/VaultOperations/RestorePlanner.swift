import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Walks a snapshot's trees beside the target: creates directories,
/// symbolic links and special files as it goes, and plans the regular
/// files and hard links for the later phases.
///
/// Directories are created when the first entry inside them is restored
/// (with include patterns, only those that lead to a match exist in the
/// end). An entry in the way is handled by the overwrite policy; a
/// symbolic link in the way of a directory is removed, never followed.
/// Symbolic links and special files are made under a temporary name, given
/// their metadata, and renamed into place.
final class RestorePlanner {
    private let repository: Repository
    private let index: ChunkIndex
    private let options: RestoreOptions
    private let target: RestoreTarget
    private let report: RestoreReport
    private let metadata: RestoreMetadata
    private let interrupt: InterruptFlag

    /// What the walk found to do.
    private(set) var plan = RestorePlan()

    /// Deeper trees are refused: only a crafted repository has them.
    static let maximumDepth = 4096

    private struct HardLinkKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private var leaders: [HardLinkKey: RestorePlan.LinkLeader] = [:]

    /// Whether a directory exists in the target yet.
    private enum FrameState {
        /// Not created yet: nothing inside it was restored so far.
        case pending
        /// It exists; `fresh` when the restore created it (so it is empty of anything else).
        case ready(fresh: Bool)
        /// It could not be created, or was kept as something else: skip what is inside.
        case unusable
    }

    /// A directory on the walk's current path.
    private struct Frame {
        var directory: Int
        var node: TreeNode?
        var names: Set<[UInt8]>
        var snapshotPath: [UInt8]
        var isSelected: Bool
        var tree: Digest256?
        var state: FrameState
    }

    private var frames: [Frame] = []

    init(
        repository: Repository, index: ChunkIndex, options: RestoreOptions, target: RestoreTarget,
        report: RestoreReport, metadata: RestoreMetadata, interrupt: InterruptFlag
    ) {
        self.repository = repository
        self.index = index
        self.options = options
        self.target = target
        self.report = report
        self.metadata = metadata
        self.interrupt = interrupt
    }

    // MARK: Walking

    /// Plans the restore of `node`: the contents of a directory go into the
    /// target, any other entry goes into it under its own name.
    ///
    /// - Parameters:
    ///   - node: The snapshot's root, or the node at the path asked for.
    ///   - path: The node's absolute path in the snapshot.
    /// - Throws: ``OperationError`` when interrupted; ``RepositoryError``
    ///   when the top tree cannot be read.
    func plan(_ node: TreeNode, at path: [UInt8]) async throws {
        if node.type == .directory {
            guard let subtree = node.subtree else {
                throw RepositoryError(.damaged, "the directory \(String(decoding: path, as: UTF8.self)) has no tree")
            }
            let tree = try await repository.loadTree(subtree, index: index)
            frames = [Frame(
                directory: 0, node: nil, names: Set(tree.nodes.map(\.name)), snapshotPath: path, isSelected: false,
                tree: subtree, state: .ready(fresh: false))]
            prepareExisting(0)
            try await walk(tree, at: path, selected: false)
        } else {
            let parentPath = Array(path[..<(path.lastIndex(of: UInt8(ascii: "/")) ?? 0)])
            frames = [Frame(
                directory: 0, node: nil, names: [node.name], snapshotPath: parentPath.isEmpty ? [UInt8(ascii: "/")] : parentPath,
                isSelected: false, tree: nil, state: .ready(fresh: false))]
            prepareExisting(0)
            try await walk(try Tree(nodes: [node]), at: frames[0].snapshotPath, selected: false)
        }
    }

    private func walk(_ tree: Tree, at path: [UInt8], selected: Bool) async throws {
        for node in tree.nodes {
            try interrupt.check()
            let top = frames.count - 1
            guard TreeNode.isValidName(node.name) else {
                report.problem(target.displayPath(frames[top].directory), "refusing an entry with an invalid name '\(node.displayName)'")
                continue
            }
            let entryPath = BackupArchiver.join(path, node.name)
            if options.selection.excludes(name: node.name, path: entryPath) { continue }
            let isSelected = selected || options.selection.includes(name: node.name, path: entryPath)
            if node.type == .directory {
                try await planDirectory(node, at: entryPath, selected: isSelected)
            } else if isSelected, materialize(top) {
                target.trim()
                planEntry(node, in: top)
            }
        }
    }

    private func planDirectory(_ node: TreeNode, at path: [UInt8], selected: Bool) async throws {
        let parent = frames.count - 1
        let directory = target.addDirectory(named: node.name, in: frames[parent].directory)
        var tree: Tree?
        var reason: String?
        if frames.count > Self.maximumDepth {
            reason = "directories nest deeper than \(Self.maximumDepth) levels; the rest is left out"
        } else if let subtree = node.subtree {
            if frames.contains(where: { $0.tree == subtree }) {
                reason = "the snapshot's directories form a cycle here; left out"
            } else {
                do {
                    tree = try await repository.loadTree(subtree, index: index)
                } catch {
                    reason = "cannot read the directory's contents: \(error.message)"
                }
            }
        } else {
            reason = "the directory has no tree"
        }
        frames.append(Frame(
            directory: directory, node: node, names: Set(tree?.nodes.map(\.name) ?? []), snapshotPath: path, isSelected: selected,
            tree: node.subtree, state: .pending))
        defer { frames.removeLast() }
        let top = frames.count - 1
        if let reason {
            report.problem(target.displayPath(directory), reason)
        }
        if selected {
            target.trim()
            guard materialize(top) else { return }
        }
        if let tree {
            target.pin(directory)
            defer { target.unpin(directory) }
            try await walk(tree, at: path, selected: selected)
        }
        target.forget(directory)
    }

    // MARK: Directories

    /// Makes sure the directory of frame `index` exists, creating those on
    /// the way.
    ///
    /// - Returns: Whether entries can be restored into it.
    private func materialize(_ index: Int) -> Bool {
        switch frames[index].state {
        case .ready: return true
        case .unusable: return false
        case .pending: break
        }
        guard materialize(index - 1) else {
            frames[index].state = .unusable
            return false
        }
        let frame = frames[index]
        let name = target.directory(frame.directory).name
        let parentIndex = frames[index - 1].directory
        let path = target.displayPath(frame.directory)
        frames[index].state = .unusable
        let parent: FileDescriptor
        do {
            parent = try target.descriptor(of: parentIndex)
        } catch {
            report.problem(path, "cannot open the directory above: \(error.code)")
            return false
        }
        var existing: FileStatus?
        if case .ready(fresh: false) = frames[index - 1].state {
            do {
                existing = try RestoreTarget.status(of: name, in: parent)
            } catch {
                report.problem(path, "cannot examine the existing entry: \(error.code)")
                return false
            }
        }
        var fresh = true
        if let existing {
            if existing.type == .directory {
                fresh = false
            } else if options.overwrite == .never {
                report.summary.entriesKept += 1
                return false
            } else {
                do {
                    try FileSystem.removeFile(FilePath(bytes: name), relativeTo: parent)
                } catch {
                    report.problem(path, "cannot replace the existing entry with a directory: \(error.code)")
                    return false
                }
            }
        }
        if fresh {
            do {
                try FileSystem.makeDirectory(FilePath(bytes: name), permissions: 0o700, relativeTo: parent)
            } catch {
                report.problem(path, "cannot create the directory: \(error.code)")
                return false
            }
        }
        frames[index].state = .ready(fresh: fresh)
        report.summary.directories += 1
        if fresh || options.overwrite != .never, let node = frame.node {
            plan.directories.append((frame.directory, node))
        }
        if !fresh {
            prepareExisting(index)
        }
        return true
    }

    /// In a directory that existed before: removes temporary files an
    /// interrupted restore left, and with `--delete` the entries the
    /// snapshot does not have.
    private func prepareExisting(_ index: Int) {
        let frame = frames[index]
        let directory: FileDescriptor
        let stream: DirectoryStream
        do {
            directory = try target.descriptor(of: frame.directory)
            stream = try DirectoryStream.open(".", relativeTo: directory)
        } catch {
            report.problem(target.displayPath(frame.directory), "cannot list the directory: \(error.code)")
            return
        }
        var doomed: [(name: [UInt8], isDirectory: Bool, counts: Bool)] = []
        do {
            while let entry = try stream.next() {
                guard !frame.names.contains(entry.name) else { continue }
                var isDirectory = entry.type == .directory
                if entry.type == .unknown {
                    isDirectory = (try? RestoreTarget.status(of: entry.name, in: stream.descriptor))??.type == .directory
                }
                if RestoreTarget.isTemporaryName(entry.name), !isDirectory {
                    doomed.append((entry.name, false, false))
                } else if options.deletesExtraneous {
                    let path = BackupArchiver.join(frame.snapshotPath, entry.name)
                    let selected = frame.isSelected || options.selection.includes(name: entry.name, path: path)
                    if selected, !options.selection.excludes(name: entry.name, path: path) {
                        doomed.append((entry.name, isDirectory, true))
                    }
                }
            }
        } catch {
            report.problem(target.displayPath(frame.directory), "cannot list the directory: \(error.code)")
        }
        try? stream.close()
        for entry in doomed {
            do {
                let removed = try RestoreTarget.removeEntry(entry.name, in: directory, isDirectory: entry.isDirectory)
                if entry.counts { report.summary.entriesDeleted += removed }
            } catch {
                report.problem(target.displayPath(frame.directory, entry.name), "cannot remove: \(error.code)")
            }
        }
    }

    // MARK: Entries

    /// Plans or restores one entry that is not a directory.
    private func planEntry(_ node: TreeNode, in frameIndex: Int) {
        let directoryIndex = frames[frameIndex].directory
        let path = { self.target.displayPath(directoryIndex, node.name) }
        let directory: FileDescriptor
        do {
            directory = try target.descriptor(of: directoryIndex)
        } catch {
            report.problem(path(), "cannot open the directory: \(error.code)")
            return
        }
        var existing: FileStatus?
        if case .ready(fresh: false) = frames[frameIndex].state {
            do {
                existing = try RestoreTarget.status(of: node.name, in: directory)
            } catch {
                report.problem(path(), "cannot examine the existing entry: \(error.code)")
                return
            }
        }
        let key = HardLinkKey(device: node.device, inode: node.inode)
        let isHardLinked = node.type == .file && node.links > 1
        if let existing {
            if options.overwrite == .never {
                report.summary.entriesKept += 1
                return
            }
            let isFollower = isHardLinked && leaders[key] != nil
            if options.overwrite == .ifChanged, !isFollower, matches(node, existing, named: node.name, in: directory) {
                if node.type == .file {
                    report.summary.filesUnchanged += 1
                    plan.unchangedFiles.append(.init(directory: directoryIndex, name: node.name, node: node))
                    if isHardLinked {
                        leaders[key] = .existing(directory: directoryIndex, name: node.name)
                    }
                }
                return
            }
            if existing.type == .directory {
                do {
                    try RestoreTarget.removeEntry(node.name, in: directory, isDirectory: true)
                } catch {
                    report.problem(path(), "cannot remove the directory in the way: \(error.code)")
                    return
                }
            }
        }
        switch node.type {
        case .file:
            if isHardLinked {
                if let leader = leaders[key] {
                    plan.links.append(.init(directory: directoryIndex, name: node.name, leader: leader))
                    return
                }
                leaders[key] = .written(file: plan.files.count)
            }
            planFile(node, in: directoryIndex)
        case .symlink:
            makeEntry(node, in: directory, path: path) { temporary throws(SystemError) in
                try FileSystem.makeSymbolicLink(temporary, pointingTo: node.linkTarget, relativeTo: directory)
            }
            report.summary.symbolicLinks += 1
        case .fifo, .socket, .characterDevice, .blockDevice:
            let kind: FileSystem.SpecialFileKind = switch node.type {
            case .fifo: .fifo
            case .socket: .socket
            case .characterDevice: .characterDevice
            default: .blockDevice
            }
            if kind == .characterDevice || kind == .blockDevice, !metadata.isRoot {
                report.summary.devicesSkipped += 1
                return
            }
            makeEntry(node, in: directory, path: path) { temporary throws(SystemError) in
                try FileSystem.makeSpecialFile(temporary, kind: kind, permissions: 0o600, device: node.rdev, relativeTo: directory)
            }
            report.summary.specialFiles += 1
        case .directory:
            break
        }
    }

    /// Whether an existing entry already is what the node describes.
    private func matches(_ node: TreeNode, _ existing: FileStatus, named name: [UInt8], in directory: FileDescriptor) -> Bool {
        switch node.type {
        case .file:
            return existing.type == .regular && existing.size == Int64(clamping: node.size)
                && existing.modificationTime == RestoreMetadata.fileTime(node.mtime)
        case .symlink:
            return existing.type == .symbolicLink
                && (try? FileSystem.linkTarget(of: FilePath(bytes: name), relativeTo: directory)) == node.linkTarget
        case .fifo: return existing.type == .fifo
        case .socket: return existing.type == .socket
        case .characterDevice: return existing.type == .characterDevice && existing.specialDevice == node.rdev
        case .blockDevice: return existing.type == .blockDevice && existing.specialDevice == node.rdev
        case .directory: return existing.type == .directory
        }
    }

    /// Makes an entry under a temporary name, sets its metadata, and
    /// renames it into place (replacing what was there).
    private func makeEntry(
        _ node: TreeNode, in directory: FileDescriptor, path: () -> String, create: (FilePath) throws(SystemError) -> Void
    ) {
        var temporary = target.temporaryName()
        do throws(SystemError) {
            while true {
                do {
                    try create(temporary)
                    break
                } catch where error.code == .fileExists {
                    temporary = target.temporaryName()
                }
            }
        } catch {
            report.problem(path(), "cannot create: \(error.operation): \(error.code)")
            return
        }
        let failures = metadata.apply(node, toEntry: temporary, in: directory)
        do {
            try FileSystem.rename(temporary, relativeTo: directory, to: FilePath(bytes: node.name), relativeTo: directory)
        } catch {
            try? FileSystem.removeFile(temporary, relativeTo: directory)
            report.problem(path(), "cannot move into place: \(error.code)")
            return
        }
        if !failures.isEmpty {
            report.problem(path(), "metadata not restored: \(RestoreMetadata.describe(failures))")
        }
    }

    /// Plans a regular file: where each of its chunks goes.
    private func planFile(_ node: TreeNode, in directory: Int) {
        var size: Int64 = 0
        var locations: [BlobLocation] = []
        locations.reserveCapacity(node.content.count)
        for id in node.content {
            guard let location = index.location(of: id), location.type == .data else {
                report.problem(target.displayPath(directory, node.name), "chunk \(id.shortHex) is missing from the repository")
                if case .written(let file)? = leaders[HardLinkKey(device: node.device, inode: node.inode)], file == plan.files.count {
                    leaders[HardLinkKey(device: node.device, inode: node.inode)] = nil
                }
                return
            }
            locations.append(location)
            size += Int64(location.rawLength)
        }
        if size != Int64(clamping: node.size) {
            report.problem(target.displayPath(directory, node.name), "the snapshot records \(node.size) bytes, its chunks hold \(size); restored as the chunks say")
        }
        let fileIndex = Int32(plan.files.count)
        var offset: Int64 = 0
        for (id, location) in zip(node.content, locations) {
            plan.chunks[id, default: RestorePlan.Chunk(location: location, placements: [])]
                .placements.append(.init(file: fileIndex, offset: offset))
            offset += Int64(location.rawLength)
        }
        plan.files.append(RestorePlan.File(directory: directory, name: node.name, node: node, size: size, remaining: node.content.count))
        plan.bytesTotal += size
    }
}
