import VaultChunker
import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Turns what a backup reads into a snapshot's nodes and trees, and keeps
/// what the backup saw: warnings, the summary, progress, the ransomware
/// evidence.
///
/// A backup runs in one task. The ``SourceWalker`` decides what to visit
/// (through a ``SourceFileSystem``); the archiver makes each entry's node,
/// reading regular files with a ``FileChunker`` (unless the parent
/// snapshot's contents can be reused) and standard input the same way;
/// new blobs go to the ``BackupPipeline``, which encodes and stores them in
/// child tasks.
final class BackupArchiver {
    let repository: Repository
    let options: BackupOptions
    let interrupt: InterruptFlag
    let reusesUnchangedFiles: Bool
    /// The file system the sources are read from.
    let fileSystem: any SourceFileSystem
    /// Where new blobs go.
    let pipeline: BackupPipeline
    private let reportProgress: (BackupProgress) -> Void
    private let accounts = AccountNames()
    /// Where every file is read and chunked, one after another (12 MiB,
    /// allocated once instead of once a file).
    private lazy var readBuffer = ChunkStreamBuffer(chunker: repository.chunker)
    private let started = Timestamp.now()

    private(set) var warnings: [BackupWarning] = []
    /// What the backup found; the walker counts directories and removed files.
    var summary = SnapshotSummary()
    /// How far the backup has got; the walker counts entries.
    var progress = BackupProgress()
    private var lastReport: Int64 = 0
    /// What the ransomware check has seen (BackupArchiver+Ransomware.swift).
    var ransomware = RansomwareTracking()

    /// The pipeline's writer: the index, and what was added.
    var writer: RepositoryWriter {
        _read { yield pipeline.writer }
    }

    init(
        repository: Repository, index: ChunkIndex, options: BackupOptions, reusesUnchangedFiles: Bool,
        interrupt: InterruptFlag, fileSystem: any SourceFileSystem = LocalSourceFileSystem(), progress: @escaping (BackupProgress) -> Void
    ) {
        self.repository = repository
        self.options = options
        self.reusesUnchangedFiles = reusesUnchangedFiles
        self.interrupt = interrupt
        self.fileSystem = fileSystem
        self.reportProgress = progress
        self.pipeline = BackupPipeline(repository: repository, index: index)
    }

    /// Runs `archive` in the pipeline (``BackupPipeline/run(_:)``): when it
    /// returns, every blob it added is stored and indexed. When the user
    /// interrupts, what was read is still stored and indexed before the
    /// interruption is rethrown.
    ///
    /// - Parameter archive: Walks what is to be archived, feeding the
    ///   pipeline; returns the root tree's ID.
    /// - Returns: The root tree's ID.
    func run(_ archive: (inout PipelineGroup) async throws -> Digest256) async throws -> Digest256 {
        let root = try await pipeline.run(archive)
        summary.blobsAdded = pipeline.writer.blobsAdded
        summary.bytesAdded = pipeline.writer.bytesAdded
        return root
    }

    // MARK: Walking

    /// Archives the source hierarchy; returns the root tree's ID.
    func archive(_ sources: SourcePaths, parentRoot: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var walker = SourceWalker(archiver: self)
        return try await walker.archive(sources, parentRoot: parentRoot, group: &group)
    }

    /// Archives a directory's entries; returns its tree's ID.
    func archiveDirectory(at path: [UInt8], status: FileStatus, parent: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var walker = SourceWalker(archiver: self)
        return try await walker.archiveDirectory(at: path, status: status, parent: parent, group: &group)
    }

    // MARK: Files

    /// Archives a regular file: takes its contents from the parent when it
    /// is unchanged, else reads it.
    ///
    /// - Returns: The node, or `nil` when the file is left out (unreadable,
    ///   vanished, or replaced by another kind of file).
    func archiveFile(name: [UInt8], path: [UInt8], status: FileStatus, parent: TreeNode?, group: inout PipelineGroup) async throws -> TreeNode? {
        var node = makeNode(name: name, path: path, status: status)
        progress.currentPath = String(decoding: path, as: UTF8.self)
        if let parent, parent.type == .file {
            if reusesUnchangedFiles, Self.isUnchanged(parent, status), parent.content.allSatisfy({ pipeline.contains(.data($0)) }) {
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
            let file: any SourceFile
            do {
                file = try fileSystem.openFile(path)
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
    private func readContents(of file: any SourceFile, path: [UInt8], group: inout PipelineGroup) async throws -> ([Digest256], Int) {
        var content: [Digest256] = []
        var length = 0
        var chunker = FileChunker(file: file, path: path, chunker: repository.chunker, buffer: readBuffer)
        while true {
            try interrupt.check()
            guard let chunk = try await chunker.next(into: pipeline, group: &group, firstChunk: { noteFirstChunk($0, of: path) }) else { break }
            content.append(chunk.id)
            length += chunk.count
            progress.bytesRead += Int64(chunk.count)
            progress.bytesProcessed += Int64(chunk.count)
            summary.bytesRead += Int64(chunk.count)
            reportIfDue()
        }
        return (content, length)
    }

    /// Archives a stream as the one file of a snapshot; returns the root tree's ID.
    func archiveStream(_ source: StandardInputSource, group: inout PipelineGroup) async throws -> Digest256 {
        var node = TreeNode(name: Array(source.fileName.utf8), type: .file)
        node.mode = 0o644
        node.uid = ProcessIdentity.userID
        node.gid = ProcessIdentity.groupID
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
        var chunker = FileChunker(chunker: repository.chunker) { buffer in interrupt.isRaised ? 0 : try read(buffer) }
        while let chunk = try await chunker.next(into: pipeline, group: &group) {
            content.append(chunk.id)
            length += chunk.count
            progress.bytesRead += Int64(chunk.count)
            summary.bytesRead += Int64(chunk.count)
            reportIfDue()
        }
        try interrupt.check()
        node.content = content
        node.size = UInt64(length)
        summary.filesNew = 1
        summary.bytesTotal = Int64(length)
        progress.filesRead = 1
        return try await pipeline.add(try Tree(nodes: [node]), group: &group)
    }

    // MARK: Helpers

    /// A node with the metadata every type has.
    func makeNode(name: [UInt8], path: [UInt8], status: FileStatus) -> TreeNode {
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
            let attributes = try fileSystem.extendedAttributes(of: path)
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
        guard let parts = time.calendarTimeUTC else { return "\(time.seconds) s since 1970" }
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T"
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))Z"
    }

    /// Whether a file's metadata says its contents are those the parent recorded.
    static func isUnchanged(_ parent: TreeNode, _ status: FileStatus) -> Bool {
        parent.size == UInt64(max(0, status.size)) && parent.mtime == timestamp(status.modificationTime).timestamp
            && parent.ctime == timestamp(status.changeTime).timestamp && parent.inode == status.inode && parent.device == status.device
            && !parent.flags.contains(.changedWhileReading)
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

    func record(_ error: SystemError, _ path: [UInt8]) {
        warn(error.code == .noSuchFileOrDirectory ? .vanished : .unreadable, path, "\(error.code)")
    }

    func warn(_ kind: BackupWarning.Kind, _ path: [UInt8], _ reason: String) {
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
