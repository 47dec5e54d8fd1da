import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Walks a snapshot's trees beside the target and plans the restore: which
/// directories exist and which to create, which entries to create, which
/// files to write and where each chunk goes, which hard links to make, and
/// which entries of the target to remove.
///
/// The walk changes nothing in the target: it only examines it where it
/// already exists. What must go (an entry in the way, by the overwrite
/// policy; a symbolic link where a directory goes, never followed; with
/// `--delete`, what the snapshot does not have) is recorded in the plan's
/// ``RestorePlan/removals`` and removed when the plan is carried out, so
/// `--dry-run` can show the plan and stop. A directory whose snapshot tree
/// cannot be read is left out of the plan entirely: nothing in it or in
/// its place is removed or changed. With include patterns a directory is
/// planned only when something inside it is restored.
final class RestorePlanner {
    private let repository: Repository
    private let index: ChunkIndex
    private let options: RestoreOptions
    /// The directories, and descriptors of those that exist.
    let cache: RestoreDirectoryCache
    private let report: RestoreReport
    private let metadata: RestoreMetadata
    private let interrupt: InterruptFlag

    /// What the walk found to do.
    private(set) var plan = RestorePlan()

    /// Hands the plan over and keeps no copy of it: the restore's later
    /// phases consume its files and chunks, which would otherwise stay in
    /// memory twice.
    func takePlan() -> RestorePlan {
        let taken = plan
        plan = RestorePlan()
        return taken
    }

    /// Deeper trees are refused: only a crafted repository has them.
    static let maximumDepth = 4096

    private struct HardLinkKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private var leaders: [HardLinkKey: RestorePlan.LinkLeader] = [:]

    /// What the walk decided about a directory.
    private enum FrameState {
        /// Nothing decided yet: nothing inside it is restored so far.
        case pending
        /// Entries can go into it: it exists, or (`fresh`) the restore
        /// creates it, so nothing else is in it.
        case ready(fresh: Bool)
        /// It cannot be used (kept as something else, or unreadable): skip what is inside.
        case unusable
    }

    /// A directory on the walk's current path.
    private struct Frame {
        /// Its index in the directory table.
        var directory: Int
        /// Its node, for its metadata; `nil` for the target itself.
        var node: TreeNode?
        /// Its entries in the snapshot.
        var entries: [TreeNode]
        /// Its absolute path in the snapshot.
        var snapshotPath: [UInt8]
        /// Whether the selection takes all of it.
        var isSelected: Bool
        /// Its tree's ID, to refuse cycles.
        var treeID: Digest256?
        /// What was decided.
        var state: FrameState
    }

    private var frames: [Frame] = []

    init(
        repository: Repository, index: ChunkIndex, options: RestoreOptions, directories: RestoreDirectories,
        report: RestoreReport, metadata: RestoreMetadata, interrupt: InterruptFlag
    ) {
        self.repository = repository
        self.index = index
        self.options = options
        self.cache = RestoreDirectoryCache(directories, capacity: 128)
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
                directory: 0, node: nil, entries: tree.nodes, snapshotPath: path, isSelected: false,
                treeID: subtree, state: .ready(fresh: !targetExists))]
            prepareTarget()
            try await walk(tree, at: path, selected: false)
        } else {
            let parentPath = Array(path[..<(path.lastIndex(of: UInt8(ascii: "/")) ?? 0)])
            frames = [Frame(
                directory: 0, node: nil, entries: [node], snapshotPath: parentPath.isEmpty ? [UInt8(ascii: "/")] : parentPath,
                isSelected: false, treeID: nil, state: .ready(fresh: !targetExists))]
            prepareTarget()
            try await walk(try Tree(nodes: [node]), at: frames[0].snapshotPath, selected: false)
        }
    }

    /// Whether the target directory exists (a dry run does not create it).
    private var targetExists: Bool { cache.directories.target.exists }

    /// Examines the target itself, when it exists.
    private func prepareTarget() {
        if targetExists {
            prepareExisting(0)
        } else {
            cache.directories.setNew(0, true)
        }
    }

    private func walk(_ tree: Tree, at path: [UInt8], selected: Bool) async throws {
        for node in tree.nodes {
            try interrupt.check()
            let top = frames.count - 1
            guard Self.isSafeName(node.name) else {
                report.problem(cache.displayPath(frames[top].directory), "refusing an entry with an invalid name '\(node.displayName)'")
                continue
            }
            let entryPath = BackupArchiver.join(path, node.name)
            if options.selection.excludes(name: node.name, path: entryPath) { continue }
            let isSelected = selected || options.selection.includes(name: node.name, path: entryPath)
            if node.type == .directory {
                try await planDirectory(node, at: entryPath, selected: isSelected)
            } else if isSelected, materialize(top) {
                cache.trim()
                planEntry(node, in: top)
            }
        }
    }

    private func planDirectory(_ node: TreeNode, at path: [UInt8], selected: Bool) async throws {
        let parent = frames.count - 1
        let directory = cache.directories.add(named: node.name, in: frames[parent].directory)
        let tree: Tree
        switch await readTree(of: node) {
        case .success(let read):
            tree = read
        case .failure(let reason):
            // Without its listing, nothing can be said about what belongs
            // there: the directory (or whatever stands in its place) is
            // neither created, emptied by --delete, replaced nor retouched.
            report.problem(cache.displayPath(directory), "\(reason.message); left untouched")
            return
        }
        frames.append(Frame(
            directory: directory, node: node, entries: tree.nodes, snapshotPath: path, isSelected: selected,
            treeID: node.subtree, state: .pending))
        defer { frames.removeLast() }
        let top = frames.count - 1
        if selected {
            cache.trim()
            guard materialize(top) else { return }
        }
        cache.pin(directory)
        defer { cache.unpin(directory) }
        try await walk(tree, at: path, selected: selected)
        cache.forget(directory)
    }

    /// Why a directory's tree cannot be used, in words.
    private struct UnreadableTree: Error {
        var message: String
    }

    /// The tree of a directory node, or why it cannot be used: missing,
    /// unreadable, too deep, or part of a cycle.
    private func readTree(of node: TreeNode) async -> Result<Tree, UnreadableTree> {
        guard frames.count <= Self.maximumDepth else {
            return .failure(UnreadableTree(message: "directories nest deeper than \(Self.maximumDepth) levels"))
        }
        guard let subtree = node.subtree else {
            return .failure(UnreadableTree(message: "the directory has no tree"))
        }
        guard !frames.contains(where: { $0.treeID == subtree }) else {
            return .failure(UnreadableTree(message: "the snapshot's directories form a cycle here"))
        }
        do {
            return .success(try await repository.loadTree(subtree, index: index))
        } catch {
            return .failure(UnreadableTree(message: "cannot read the directory's contents: \(error.message)"))
        }
    }

    /// Whether `name` is a single path component: not empty, `.` or `..`,
    /// no `/` or NUL. Tree decoding checks this already; the restore checks
    /// again before any name reaches a system call.
    static func isSafeName(_ name: [UInt8]) -> Bool {
        switch name.count {
        case 0: return false
        case 1: if name[0] == UInt8(ascii: ".") { return false }
        case 2: if name[0] == UInt8(ascii: "."), name[1] == UInt8(ascii: ".") { return false }
        default: break
        }
        return name.withUnsafeBufferPointer { bytes in
            !bytes.contains { $0 == UInt8(ascii: "/") || $0 == 0 }
        }
    }

    // MARK: Directories

    /// Decides how the directory of frame `index` comes to exist: it is
    /// there already, or the restore creates it (clearing the way), and so
    /// for the directories on the way.
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
        frames[index].state = .unusable
        var fresh = true
        var replaces = false
        if case .ready(fresh: false) = frames[index - 1].state {
            let name = cache.directories.entries[frame.directory].name
            let path = cache.displayPath(frame.directory)
            let parent: FileDescriptor
            let existing: FileStatus?
            do {
                parent = try cache.descriptor(of: frames[index - 1].directory)
                existing = try RestoreTarget.status(of: name, in: parent)
            } catch {
                report.problem(path, "cannot examine the existing entry: \(error.code)")
                return false
            }
            if let existing {
                if existing.type == .directory {
                    fresh = false
                } else if options.overwrite == .never {
                    report.summary.entriesKept += 1
                    return false
                } else {
                    plan.removals.append(.init(directory: frames[index - 1].directory, name: name, isDirectory: false, reason: .inTheWay))
                    replaces = true
                }
            }
        }
        cache.directories.setNew(frame.directory, fresh)
        if fresh {
            plan.createdDirectories.append(.init(directory: frame.directory, replaces: replaces))
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

    /// In a directory that existed before: plans the removal of temporary
    /// files an interrupted restore left, and with `--delete` of the
    /// entries the snapshot does not have.
    private func prepareExisting(_ index: Int) {
        let frame = frames[index]
        let stream: DirectoryStream
        do {
            stream = try DirectoryStream.open(".", relativeTo: try cache.descriptor(of: frame.directory))
        } catch {
            report.problem(cache.displayPath(frame.directory), "cannot list the directory: \(error.code)")
            return
        }
        let names = Set(frame.entries.map(\.name))
        do {
            while let entry = try stream.next() {
                guard !names.contains(entry.name) else { continue }
                var isDirectory = entry.type == .directory
                if entry.type == .unknown {
                    isDirectory = (try? RestoreTarget.status(of: entry.name, in: stream.descriptor))??.type == .directory
                }
                if RestoreTarget.isTemporaryName(entry.name), !isDirectory {
                    plan.removals.append(.init(directory: frame.directory, name: entry.name, isDirectory: false, reason: .leftover))
                } else if options.deletesExtraneous {
                    let path = BackupArchiver.join(frame.snapshotPath, entry.name)
                    let selected = frame.isSelected || options.selection.includes(name: entry.name, path: path)
                    if selected, !options.selection.excludes(name: entry.name, path: path) {
                        plan.removals.append(.init(directory: frame.directory, name: entry.name, isDirectory: isDirectory, reason: .extraneous))
                    }
                }
            }
        } catch {
            report.problem(cache.displayPath(frame.directory), "cannot list the directory: \(error.code)")
        }
        try? stream.close()
    }

    // MARK: Entries

    /// Plans one entry that is not a directory.
    private func planEntry(_ node: TreeNode, in frameIndex: Int) {
        let directoryIndex = frames[frameIndex].directory
        let key = HardLinkKey(device: node.device, inode: node.inode)
        let isHardLinked = node.type == .file && node.links > 1
        var replaces = false
        if case .ready(fresh: false) = frames[frameIndex].state {
            let path = { self.cache.displayPath(directoryIndex, node.name) }
            let directory: FileDescriptor
            let existing: FileStatus?
            do {
                directory = try cache.descriptor(of: directoryIndex)
                existing = try RestoreTarget.status(of: node.name, in: directory)
            } catch {
                report.problem(path(), "cannot examine the existing entry: \(error.code)")
                return
            }
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
                    } else if node.type == .symlink {
                        plan.unchangedLinks.append(.init(directory: directoryIndex, name: node.name, node: node))
                    }
                    return
                }
                // A directory in the way goes only when its replacement is
                // complete (``RestoreTarget/moveIntoPlace(_:as:in:)``).
                replaces = true
            }
        }
        switch node.type {
        case .file:
            if isHardLinked {
                if let leader = leaders[key] {
                    plan.links.append(.init(directory: directoryIndex, name: node.name, leader: leader, replaces: replaces))
                    return
                }
                leaders[key] = .written(file: plan.files.count)
            }
            planFile(node, in: directoryIndex, replaces: replaces)
        case .characterDevice, .blockDevice:
            if metadata.isRoot {
                plan.entries.append(.init(directory: directoryIndex, node: node, replaces: replaces))
            } else {
                report.summary.devicesSkipped += 1
            }
        case .symlink, .fifo, .socket:
            plan.entries.append(.init(directory: directoryIndex, node: node, replaces: replaces))
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
            // Reading the link sets its access time: the plan's
            // `unchangedLinks` puts the snapshot's back.
            return existing.type == .symbolicLink && existing.size == node.linkTarget.count
                && (try? FileSystem.linkTarget(of: FilePath(bytes: name), relativeTo: directory)) == node.linkTarget
        case .fifo: return existing.type == .fifo
        case .socket: return existing.type == .socket
        case .characterDevice: return existing.type == .characterDevice && existing.specialDevice == node.rdev
        case .blockDevice: return existing.type == .blockDevice && existing.specialDevice == node.rdev
        case .directory: return existing.type == .directory
        }
    }

    /// Plans a regular file: where each of its chunks goes.
    private func planFile(_ node: TreeNode, in directory: Int, replaces: Bool) {
        var size: Int64 = 0
        var locations: [BlobLocation] = []
        locations.reserveCapacity(node.content.count)
        for id in node.content {
            guard let location = index.location(of: .data(id)) else {
                report.problem(cache.displayPath(directory, node.name), "chunk \(id.shortHex) is missing from the repository")
                if case .written(let file)? = leaders[HardLinkKey(device: node.device, inode: node.inode)], file == plan.files.count {
                    leaders[HardLinkKey(device: node.device, inode: node.inode)] = nil
                }
                return
            }
            locations.append(location)
            size += Int64(location.rawLength)
        }
        if size != Int64(clamping: node.size) {
            report.problem(cache.displayPath(directory, node.name), "the snapshot records \(node.size) bytes, its chunks hold \(size); restored as the chunks say")
        }
        let fileIndex = Int32(plan.files.count)
        var offset: Int64 = 0
        for (id, location) in zip(node.content, locations) {
            plan.chunks[id, default: RestorePlan.Chunk(location: location, placements: [])]
                .placements.append(.init(file: fileIndex, offset: offset))
            offset += Int64(location.rawLength)
        }
        plan.files.append(RestorePlan.File(
            directory: directory, name: node.name, node: node, size: size, remaining: node.content.count, replaces: replaces))
        plan.bytesTotal += size
    }
}
