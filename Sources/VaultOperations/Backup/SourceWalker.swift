import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Walks the sources of a backup through a ``SourceFileSystem`` and builds
/// their trees: what to visit and in what order, and what to leave out.
///
/// It lists each directory (describing every entry as it lists it) and
/// visits the entries in name order; leaves out excluded entries, the
/// contents of tagged cache directories (`--exclude-caches`) and of mount
/// points (`--one-file-system`); and warns about entries that cannot be
/// read or vanish on the way. The ``BackupArchiver`` makes each entry's
/// node and reads the files; trees go to its ``BackupPipeline``.
struct SourceWalker {
    let archiver: BackupArchiver
    /// The devices of the sources being walked, innermost last: an entry on
    /// another device is a mount point.
    private var rootDevices: [UInt64] = []

    /// The name of a cache directory tag (https://bford.info/cachedir/).
    static let cacheTagName = Array("CACHEDIR.TAG".utf8)
    /// The first line of a cache directory tag.
    static let cacheTagSignature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)

    init(archiver: BackupArchiver) {
        self.archiver = archiver
    }

    private var fileSystem: any SourceFileSystem { archiver.fileSystem }
    private var options: BackupOptions { archiver.options }

    /// Archives the source hierarchy; returns the root tree's ID.
    mutating func archive(_ sources: SourcePaths, parentRoot: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        if sources.root.isSource {
            // `/` itself is the source.
            let status = try fileSystem.status(of: [UInt8(ascii: "/")])
            rootDevices = [status.device]
            return try await archiveDirectory(at: [UInt8(ascii: "/")], status: status, parent: parentRoot, group: &group)
        }
        return try await archiveHierarchy(sources.root, at: [], parent: parentRoot, group: &group)
    }

    /// Archives a directory on the way to the sources: only the children
    /// that lead to a source are listed.
    private mutating func archiveHierarchy(_ level: SourcePaths.Node, at path: [UInt8], parent: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var nodes: [TreeNode] = []
        let parentNodes = BackupArchiver.nodesByName(parent)
        for (name, child) in level.children.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let childPath = path + [UInt8(ascii: "/")] + name
            let status: FileStatus
            do {
                status = try fileSystem.status(of: childPath)
            } catch {
                archiver.warn(.unreadable, childPath, "\(error.code)")
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
                    archiver.warn(.unreadable, childPath, "not a directory")
                    continue
                }
                var node = archiver.makeNode(name: name, path: childPath, status: status)
                let parentSubtree = await loadParentSubtree(parentNodes[name])
                node.subtree = try await archiveHierarchy(child, at: childPath, parent: parentSubtree, group: &group)
                nodes.append(node)
            }
        }
        return try await archiver.pipeline.add(try Tree(nodes: nodes), group: &group)
    }

    /// Archives one directory entry of any type.
    ///
    /// - Returns: The node, or `nil` when the entry is left out (unreadable or vanished).
    private mutating func archiveEntry(name: [UInt8], path: [UInt8], status: FileStatus, parent: TreeNode?, group: inout PipelineGroup) async throws -> TreeNode? {
        try archiver.interrupt.check()
        archiver.progress.entries += 1
        switch status.type {
        case .regular:
            return try await archiver.archiveFile(name: name, path: path, status: status, parent: parent, group: &group)
        case .directory:
            var node = archiver.makeNode(name: name, path: path, status: status)
            if options.oneFileSystem, let device = rootDevices.last, status.device != device {
                // A mount point: record it, but not what is mounted there.
                node.subtree = try await archiver.pipeline.add(try Tree(nodes: []), group: &group)
            } else {
                let parentSubtree = await loadParentSubtree(parent)
                node.subtree = try await archiveDirectory(at: path, status: status, parent: parentSubtree, group: &group)
            }
            archiver.summary.directories += 1
            return node
        case .symbolicLink:
            var node = archiver.makeNode(name: name, path: path, status: status)
            do {
                node.linkTarget = try fileSystem.linkTarget(of: path)
            } catch {
                archiver.record(error, path)
                return nil
            }
            return node
        case .fifo, .socket, .characterDevice, .blockDevice:
            return archiver.makeNode(name: name, path: path, status: status)
        case .unknown:
            archiver.warn(.unreadable, path, "unknown file type")
            return nil
        }
    }

    /// Archives a directory's entries; returns its tree's ID.
    ///
    /// A directory that cannot be listed is stored empty, with a warning.
    mutating func archiveDirectory(at path: [UInt8], status: FileStatus, parent: Tree?, group: inout PipelineGroup) async throws -> Digest256 {
        var entries: [(name: [UInt8], status: FileStatus)] = []
        do {
            try fileSystem.listDirectory(path) { name, status in
                switch status {
                case .success(let status): entries.append((name, status))
                case .failure(let error): archiver.record(error, BackupArchiver.join(path, name))
                }
            }
        } catch {
            archiver.record(error, path)
            return try await archiver.pipeline.add(try Tree(nodes: []), group: &group)
        }
        entries.sort { $0.name.lexicographicallyPrecedes($1.name) }

        if options.excludeCaches, isCacheDirectory(path, entries: entries) {
            entries = entries.filter { $0.name == Self.cacheTagName }
        }

        let parentNodes = BackupArchiver.nodesByName(parent)
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(entries.count)
        var names = Set<[UInt8]>()
        for (name, entryStatus) in entries {
            let entryPath = BackupArchiver.join(path, name)
            if options.excludes.excludes(name: name, path: entryPath) { continue }
            if let node = try await archiveEntry(name: name, path: entryPath, status: entryStatus, parent: parentNodes[name], group: &group) {
                nodes.append(node)
                names.insert(name)
            }
        }
        for (name, removed) in parentNodes where !names.contains(name) {
            archiver.summary.filesRemoved += try await countFiles(removed)
        }
        archiver.noteDirectoryFinished(path, removed: parentNodes.lazy.filter { !names.contains($0.key) }.map(\.value))
        return try await archiver.pipeline.add(try Tree(nodes: nodes), group: &group)
    }

    /// Whether a directory holds a valid cache directory tag: a regular
    /// file `CACHEDIR.TAG` that starts with the signature.
    private func isCacheDirectory(_ path: [UInt8], entries: [(name: [UInt8], status: FileStatus)]) -> Bool {
        guard entries.contains(where: { $0.name == Self.cacheTagName && $0.status.type == .regular }) else { return false }
        guard let file = try? fileSystem.openFile(BackupArchiver.join(path, Self.cacheTagName)) else {
            return false
        }
        defer { try? file.close() }
        guard let head = try? file.read(fromAbsoluteOffset: 0, count: Self.cacheTagSignature.count) else { return false }
        return head == Self.cacheTagSignature
    }

    /// The parent snapshot's tree of a directory, or `nil` (none, or one
    /// that cannot be read: that only costs reading the files again).
    private func loadParentSubtree(_ node: TreeNode?) async -> Tree? {
        guard let node, node.type == .directory, let subtree = node.subtree else { return nil }
        return await archiver.pipeline.loadTree(subtree)
    }

    /// The number of files in a node that is gone, counting inside directories.
    private func countFiles(_ node: TreeNode) async throws -> Int {
        switch node.type {
        case .file:
            return 1
        case .directory:
            guard let tree = await loadParentSubtree(node) else { return 0 }
            var count = 0
            for child in tree.nodes {
                count += try await countFiles(child)
            }
            return count
        default:
            return 0
        }
    }
}
