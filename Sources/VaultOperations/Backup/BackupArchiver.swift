import Glibc
import VaultChunker
import VaultCodecs
import VaultPOSIX
import VaultRepository

/// What the tasks of a backup's pipeline hand back to it.
enum PipelineEvent: Sendable {
    /// A blob was compressed and sealed.
    case encoded(EncodedBlob)
    /// A pack was stored.
    case stored(StoredPack)
}

typealias PipelineGroup = ThrowingTaskGroup<PipelineEvent, any Error>

/// Walks the source paths and builds a snapshot's trees.
///
/// The archiver runs in one task, which lists directories, reads files,
/// chunks them and hashes the chunks (cheap, and needed in order), and
/// skips chunks the repository has. New chunks go to child tasks that
/// compress and seal them on every core; finished packs are stored by
/// further child tasks while reading goes on. The archiver alone owns the
/// ``RepositoryWriter``, so no lock guards the index. At most
/// ``maximumInFlight`` blobs and packs are in flight: memory stays bounded
/// whatever the size of the files.
final class BackupArchiver {
    let repository: Repository
    let options: BackupOptions
    let interrupt: InterruptFlag
    let reusesUnchangedFiles: Bool
    private let reportProgress: (BackupProgress) -> Void
    private let encoders: BlobEncoderPool
    private let accounts = AccountNames()
    private let started = Timestamp.now()

    private(set) var writer: RepositoryWriter
    private var inFlight = 0
    let maximumInFlight: Int

    private(set) var warnings: [BackupWarning] = []
    private(set) var summary = SnapshotSummary()
    private(set) var progress = BackupProgress()
    private var lastReport: Int64 = 0
    private var rootDevices: [UInt64] = []
    /// What the ransomware check has seen (BackupArchiver+Ransomware.swift).
    var ransomware = RansomwareTracking()

    /// The first line of a cache directory tag (https://bford.info/cachedir/).
    static let cacheTagSignature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)

    init(
        repository: Repository, index: ChunkIndex, options: BackupOptions, reusesUnchangedFiles: Bool,
        interrupt: InterruptFlag, progress: @escaping (BackupProgress) -> Void
    ) {
        self.repository = repository
        self.options = options
        self.reusesUnchangedFiles = reusesUnchangedFiles
        self.interrupt = interrupt
        self.reportProgress = progress
        self.writer = RepositoryWriter(repository: repository, index: index)
        self.encoders = BlobEncoderPool(cipher: repository.cipher, compression: repository.config.compression)
        self.maximumInFlight = max(2, 2 * ProcessorCount.count)
    }

    // MARK: The pipeline

    /// Sends a new blob to be encoded, waiting first if too much is in flight.
    private func submit(_ plaintext: [UInt8], id: Digest256, type: BlobType, group: inout PipelineGroup) async throws {
        try await waitForRoom(&group)
        inFlight += 1
        let encoders = self.encoders
        group.addTask {
            .encoded(plaintext.withUnsafeBytes { encoders.encode($0, id: id, type: type) })
        }
    }

    private func waitForRoom(_ group: inout PipelineGroup) async throws {
        while inFlight >= maximumInFlight, let event = try await group.next() {
            try await handle(event, group: &group)
        }
    }

    private func handle(_ event: PipelineEvent, group: inout PipelineGroup) async throws {
        inFlight -= 1
        switch event {
        case .encoded(let blob):
            if let pack = writer.append(blob) {
                startStoring(pack, group: &group)
            }
        case .stored(let pack):
            writer.recordStored(pack)
            summary.bytesAdded += pack.size
            if writer.isIndexDue {
                try await writer.writeIndex()
            }
        }
    }

    private func startStoring(_ pack: FinishedPack, group: inout PipelineGroup) {
        inFlight += 1
        let repository = self.repository
        group.addTask {
            try await repository.savePack(pack)
            return .stored(StoredPack(pack))
        }
    }

    /// Waits for everything in flight, stores the open packs, and writes
    /// the index file for every stored pack. After this, every blob the
    /// archiver added is in the repository and its index.
    func finish(group: inout PipelineGroup) async throws {
        while inFlight > 0, let event = try await group.next() {
            try await handle(event, group: &group)
        }
        for pack in writer.finishOpenPacks() {
            startStoring(pack, group: &group)
        }
        while inFlight > 0, let event = try await group.next() {
            try await handle(event, group: &group)
        }
        try await writer.writeIndex()
        summary.blobsAdded = writer.blobsAdded
    }

    /// Runs `archive` in the pipeline's task group, then ``finish(group:)``.
    /// When the user interrupts, what was read is still stored and indexed
    /// (the next backup reuses it) before the interruption is rethrown.
    ///
    /// - Parameter archive: Walks what is to be archived, feeding the
    ///   pipeline; returns the root tree's ID.
    /// - Returns: The root tree's ID.
    func run(_ archive: (inout PipelineGroup) async throws -> Digest256) async throws -> Digest256 {
        try await withThrowingTaskGroup(of: PipelineEvent.self) { group in
            do {
                let root = try await archive(&group)
                try await finish(group: &group)
                return root
            } catch let error as OperationError where error.code == .interrupted {
                // Keep what was read: store and index it.
                try await finish(group: &group)
                throw error
            }
        }
    }

    /// Adds a tree blob, unless the repository has it.
    ///
    /// - Returns: The tree's ID.
    private func add(_ tree: Tree, group: inout PipelineGroup) async throws -> Digest256 {
        let plaintext = tree.encoded()
        let id = repository.identifier.id(of: plaintext)
        if writer.reserve(.tree(id)) {
            try await submit(plaintext, id: id, type: .tree, group: &group)
        }
        return id
    }

    // MARK: Walking

    /// Archives the source hierarchy; returns the root tree's ID.
    func archive(_ sources: SourcePaths, parentRoot: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        if sources.root.isSource {
            // `/` itself is the source.
            let status = try FileSystem.status(of: FilePath("/"), followSymbolicLinks: false)
            rootDevices = [status.device]
            return try await archiveDirectory(at: [UInt8(ascii: "/")], status: status, parent: parentRoot, group: &group)
        }
        return try await archiveHierarchy(sources.root, at: [], parent: parentRoot, group: &group)
    }

    /// Archives a directory on the way to the sources: only the children
    /// that lead to a source are listed.
    private func archiveHierarchy(_ level: SourcePaths.Node, at path: [UInt8], parent: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var nodes: [TreeNode] = []
        let parentNodes = Self.nodesByName(parent)
        for (name, child) in level.children.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let childPath = path + [UInt8(ascii: "/")] + name
            let status: FileStatus
            do {
                status = try FileSystem.status(of: FilePath(bytes: childPath), followSymbolicLinks: false)
            } catch {
                warn(.unreadable, childPath, "\(error.code)")
                continue
            }
            if child.isSource {
                rootDevices.append(status.device)
                if let node = try await archiveEntry(name: name, path: childPath, status: status, parent: parentNodes[name], group: &group) {
                    nodes.append(node)
                }
                rootDevices.removeLast()
            } else {
                guard status.type == .directory else {
                    warn(.unreadable, childPath, "not a directory")
                    continue
                }
                var node = makeNode(name: name, path: childPath, status: status)
                let parentSubtree = try await loadParentSubtree(parentNodes[name])
                node.subtree = try await archiveHierarchy(child, at: childPath, parent: parentSubtree, group: &group)
                nodes.append(node)
            }
        }
        return try await add(try Tree(nodes: nodes), group: &group)
    }

    /// Archives one directory entry of any type.
    ///
    /// - Returns: The node, or `nil` when the entry is left out (unreadable or vanished).
    private func archiveEntry(name: [UInt8], path: [UInt8], status: FileStatus, parent: TreeNode?, group: inout PipelineGroup) async throws -> TreeNode? {
        try interrupt.check()
        progress.entries += 1
        switch status.type {
        case .regular:
            return try await archiveFile(name: name, path: path, status: status, parent: parent, group: &group)
        case .directory:
            var node = makeNode(name: name, path: path, status: status)
            if options.oneFileSystem, let device = rootDevices.last, status.device != device {
                // A mount point: record it, but not what is mounted there.
                node.subtree = try await add(try Tree(nodes: []), group: &group)
            } else {
                let parentSubtree = try await loadParentSubtree(parent)
                node.subtree = try await archiveDirectory(at: path, status: status, parent: parentSubtree, group: &group)
            }
            summary.directories += 1
            return node
        case .symbolicLink:
            var node = makeNode(name: name, path: path, status: status)
            do {
                node.linkTarget = try FileSystem.linkTarget(of: FilePath(bytes: path))
            } catch {
                record(error, path)
                return nil
            }
            return node
        case .fifo, .socket, .characterDevice, .blockDevice:
            return makeNode(name: name, path: path, status: status)
        case .unknown:
            warn(.unreadable, path, "unknown file type")
            return nil
        }
    }

    /// Archives a directory's entries; returns its tree's ID.
    func archiveDirectory(at path: [UInt8], status: FileStatus, parent: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var entries: [(name: [UInt8], status: FileStatus)] = []
        do {
            let directory = try DirectoryStream.open(FilePath(bytes: path))
            defer { try? directory.close() }
            while let entry = try directory.next() {
                do {
                    let entryStatus = try FileSystem.status(of: FilePath(bytes: entry.name), relativeTo: directory.descriptor, followSymbolicLinks: false)
                    entries.append((entry.name, entryStatus))
                } catch {
                    record(error, Self.join(path, entry.name))
                }
            }
        } catch {
            record(error, path)
            return try await add(try Tree(nodes: []), group: &group)
        }
        entries.sort { $0.name.lexicographicallyPrecedes($1.name) }

        if options.excludeCaches, isCacheDirectory(path, entries: entries) {
            entries = entries.filter { $0.name == Array("CACHEDIR.TAG".utf8) }
        }

        let parentNodes = Self.nodesByName(parent)
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(entries.count)
        var names = Set<[UInt8]>()
        for (name, entryStatus) in entries {
            let entryPath = Self.join(path, name)
            if options.excludes.excludes(name: name, path: entryPath) { continue }
            if let node = try await archiveEntry(name: name, path: entryPath, status: entryStatus, parent: parentNodes[name], group: &group) {
                nodes.append(node)
                names.insert(name)
            }
        }
        for (name, removed) in parentNodes where !names.contains(name) {
            summary.filesRemoved += try await countFiles(removed)
        }
        noteDirectoryFinished(path, removed: parentNodes.lazy.filter { !names.contains($0.key) }.map(\.value))
        return try await add(try Tree(nodes: nodes), group: &group)
    }

    // MARK: Files

    /// Archives a regular file: takes its contents from the parent when it
    /// is unchanged, else reads it.
    private func archiveFile(name: [UInt8], path: [UInt8], status: FileStatus, parent: TreeNode?, group: inout PipelineGroup) async throws -> TreeNode? {
        var node = makeNode(name: name, path: path, status: status)
        progress.currentPath = String(decoding: path, as: UTF8.self)
        if let parent, parent.type == .file {
            if reusesUnchangedFiles, Self.isUnchanged(parent, status), parent.content.allSatisfy({ writer.contains(.data($0)) }) {
                node.content = parent.content
                node.flags.formUnion(parent.flags)
                summary.filesUnchanged += 1
                summary.bytesTotal += Int64(node.size)
                progress.bytesProcessed += Int64(node.size)
                reportIfDue()
                return node
            }
            if Self.isUnchanged(parent, status) {
                summary.filesUnchanged += 1
            } else {
                summary.filesChanged += 1
            }
        } else {
            summary.filesNew += 1
        }

        for attempt in 0..<2 {
            let file: FileDescriptor
            do {
                file = try FileDescriptor.open(FilePath(bytes: path), .readOnly, options: [.noFollow])
            } catch {
                record(error, path)
                return nil
            }
            defer { try? file.close() }
            do {
                let before = try file.status()
                guard before.type == .regular else {
                    warn(.vanished, path, "replaced by another kind of file")
                    return nil
                }
                let (content, length) = try await readContents(of: file, path: path, group: &group)
                let after = try file.status()
                node.content = content
                node.size = UInt64(length)
                let stable = after.size == Int64(length) && after.modificationTime == before.modificationTime
                    && after.changeTime == before.changeTime
                if stable {
                    setTimes(of: &node, path: path, from: after)
                    break
                }
                if attempt == 1 {
                    node.flags.insert(.changedWhileReading)
                    warn(.changedWhileReading, path, "")
                }
            } catch let error as SystemError {
                record(error, path)
                return nil
            }
        }
        noteFileRead(path: path, node: node, parent: parent)
        progress.filesRead += 1
        summary.bytesTotal += Int64(node.size)
        reportIfDue()
        return node
    }

    /// Reads a file, chunks it, and sends new chunks on to be stored.
    ///
    /// - Returns: The chunk IDs in order, and the number of bytes read.
    private func readContents(of file: FileDescriptor, path: [UInt8], group: inout PipelineGroup) async throws -> ([Digest256], Int) {
        var content: [Digest256] = []
        var length = 0
        var stream = ChunkStream(chunker: repository.chunker) { buffer in try file.read(into: buffer) }
        while true {
            try interrupt.check()
            let next: (id: Digest256, copy: [UInt8]?, count: Int)?
            do {
                next = try stream.next { bytes, offset in
                    if offset == 0 { noteFirstChunk(bytes, of: path) }
                    let id = repository.identifier.id(of: bytes)
                    return (id, writer.reserve(.data(id)) ? Array(bytes) : nil, bytes.count)
                }
            } catch let error as SystemError {
                throw error
            } catch {
                throw SystemError(.ioError, operation: "read", path: FilePath(bytes: path))
            }
            guard let next else { break }
            content.append(next.id)
            length += next.count
            progress.bytesRead += Int64(next.count)
            progress.bytesProcessed += Int64(next.count)
            summary.bytesRead += Int64(next.count)
            if let copy = next.copy {
                try await submit(copy, id: next.id, type: .data, group: &group)
            }
            reportIfDue()
        }
        return (content, length)
    }

    /// Archives a stream as the one file of a snapshot; returns the root tree's ID.
    func archiveStream(_ source: StandardInputSource, group: inout PipelineGroup) async throws -> Digest256 {
        var node = TreeNode(name: Array(source.fileName.utf8), type: .file)
        node.mode = 0o644
        node.uid = getuid()
        node.gid = getgid()
        node.user = accounts.userName(node.uid)
        node.group = accounts.groupName(node.gid)
        node.mtime = .now()
        node.ctime = node.mtime
        var content: [Digest256] = []
        var length = 0
        // Once interrupted, the input ends: the chunks already read (up to
        // the chunker's whole buffer) are stored, then the interruption is
        // thrown, and `finish` indexes them.
        let read = source.read
        let interrupt = self.interrupt
        var stream = ChunkStream(chunker: repository.chunker) { buffer in interrupt.isRaised ? 0 : try read(buffer) }
        while true {
            let next: (id: Digest256, copy: [UInt8]?, count: Int)? = try stream.next { bytes, _ in
                let id = repository.identifier.id(of: bytes)
                return (id, writer.reserve(.data(id)) ? Array(bytes) : nil, bytes.count)
            }
            guard let next else { break }
            content.append(next.id)
            length += next.count
            progress.bytesRead += Int64(next.count)
            summary.bytesRead += Int64(next.count)
            if let copy = next.copy {
                try await submit(copy, id: next.id, type: .data, group: &group)
            }
            reportIfDue()
        }
        try interrupt.check()
        node.content = content
        node.size = UInt64(length)
        summary.filesNew = 1
        summary.bytesTotal = Int64(length)
        progress.filesRead = 1
        return try await add(try Tree(nodes: [node]), group: &group)
    }

    // MARK: Helpers

    /// A node with the metadata every type has.
    private func makeNode(name: [UInt8], path: [UInt8], status: FileStatus) -> TreeNode {
        let type: NodeType
        switch status.type {
        case .regular, .unknown: type = .file
        case .directory: type = .directory
        case .symbolicLink: type = .symlink
        case .fifo: type = .fifo
        case .socket: type = .socket
        case .characterDevice: type = .characterDevice
        case .blockDevice: type = .blockDevice
        }
        var node = TreeNode(name: name, type: type)
        node.mode = status.permissions
        node.uid = status.userID
        node.gid = status.groupID
        node.user = accounts.userName(status.userID)
        node.group = accounts.groupName(status.groupID)
        setTimes(of: &node, path: path, from: status)
        node.size = type == .file ? UInt64(max(0, status.size)) : 0
        node.inode = status.inode
        node.device = status.device
        node.links = status.linkCount
        if type == .characterDevice || type == .blockDevice {
            node.rdev = status.specialDevice
        }
        do {
            let attributes = try FileSystem.extendedAttributes(of: FilePath(bytes: path))
            node.xattrs = attributes.map { ExtendedAttribute(name: $0.name, value: $0.value) }
        } catch {
            // The entry is kept without them, and the snapshot is incomplete.
            warn(.unreadable, path, "extended attributes could not be read: \(error.code)")
        }
        return node
    }

    /// Records a file's modification and status change times. A time the
    /// format cannot hold (before 1677-09-21 or after 2262-04-11) is
    /// stored as the nearest one it holds; the node is flagged, and the
    /// warning makes the snapshot incomplete.
    private func setTimes(of node: inout TreeNode, path: [UInt8], from status: FileStatus) {
        let modification = Self.timestamp(status.modificationTime)
        let change = Self.timestamp(status.changeTime)
        node.mtime = modification.timestamp
        node.ctime = change.timestamp
        if modification.isExact && change.isExact {
            node.flags.remove(.timeClamped)
            return
        }
        guard !node.flags.contains(.timeClamped) else { return }  // warned already
        node.flags.insert(.timeClamped)
        let time = modification.isExact ? status.changeTime : status.modificationTime
        let stored = modification.isExact ? change.timestamp : modification.timestamp
        warn(
            .metadataInexact, path,
            "its \(modification.isExact ? "status change" : "modification") time \(Self.describe(time)) is outside "
                + "what a snapshot holds (\(Timestamp.earliest) to \(Timestamp.latest)); stored as \(stored)"
        )
    }

    /// A file time for messages: RFC 3339 when it fits in a timestamp, else seconds since the epoch.
    private static func describe(_ time: FileTime) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(time.seconds) s since 1970" }
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))Z"
    }

    /// Whether a file's metadata says its contents are those the parent recorded.
    static func isUnchanged(_ parent: TreeNode, _ status: FileStatus) -> Bool {
        parent.size == UInt64(max(0, status.size)) && parent.mtime == timestamp(status.modificationTime).timestamp
            && parent.ctime == timestamp(status.changeTime).timestamp && parent.inode == status.inode && parent.device == status.device
            && !parent.flags.contains(.changedWhileReading)
    }

    private func isCacheDirectory(_ path: [UInt8], entries: [(name: [UInt8], status: FileStatus)]) -> Bool {
        guard entries.contains(where: { $0.name == Array("CACHEDIR.TAG".utf8) && $0.status.type == .regular }) else { return false }
        guard let file = try? FileDescriptor.open(FilePath(bytes: Self.join(path, Array("CACHEDIR.TAG".utf8))), .readOnly, options: [.noFollow]) else {
            return false
        }
        defer { try? file.close() }
        guard let head = try? file.read(fromAbsoluteOffset: 0, count: Self.cacheTagSignature.count) else { return false }
        return head == Self.cacheTagSignature
    }

    private func loadParentSubtree(_ node: TreeNode?) async throws -> Tree? {
        guard let node, node.type == .directory, let subtree = node.subtree else { return nil }
        // A parent tree that cannot be read only costs reading the files again.
        return try? await repository.loadTree(subtree, index: writer.index)
    }

    /// The number of files in a node that is gone, counting inside directories.
    private func countFiles(_ node: TreeNode) async throws -> Int {
        switch node.type {
        case .file:
            return 1
        case .directory:
            guard let tree = try await loadParentSubtree(node) else { return 0 }
            var count = 0
            for child in tree.nodes {
                count += try await countFiles(child)
            }
            return count
        default:
            return 0
        }
    }

    static func nodesByName(_ tree: Tree?) -> [[UInt8]: TreeNode] {
        guard let tree else { return [:] }
        return Dictionary(tree.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func join(_ path: [UInt8], _ name: [UInt8]) -> [UInt8] {
        path.last == UInt8(ascii: "/") ? path + name : path + [UInt8(ascii: "/")] + name
    }

    /// A file time as a snapshot stores it: exact, or clamped to the nearest time the format holds.
    static func timestamp(_ time: FileTime) -> (timestamp: Timestamp, isExact: Bool) {
        Timestamp.clamping(seconds: time.seconds, nanoseconds: Int64(time.nanoseconds))
    }

    private func record(_ error: SystemError, _ path: [UInt8]) {
        warn(error.code == .noSuchFileOrDirectory ? .vanished : .unreadable, path, "\(error.code)")
    }

    private func warn(_ kind: BackupWarning.Kind, _ path: [UInt8], _ reason: String) {
        warnings.append(BackupWarning(kind: kind, path: String(decoding: path, as: UTF8.self), reason: reason))
    }

    private func reportIfDue() {
        let now = Timestamp.now().nanoseconds
        guard now - lastReport >= 100_000_000 else { return }
        lastReport = now
        progress.elapsedNanoseconds = now - started.nanoseconds
        reportProgress(progress)
    }
}

/// The number of cores to keep busy.
enum ProcessorCount {
    static let count: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
