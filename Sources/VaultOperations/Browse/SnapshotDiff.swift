import VaultCodecs
import VaultRepository

/// Compares two snapshots, or two entries in them: `vault diff`.
///
/// Both trees are walked in lockstep, entry names merged in byte order.
/// Two directories with the same tree blob ID hold the same entries, so
/// the walk skips them without reading them: comparing two snapshots of
/// a large, mostly unchanged file system reads only the trees on the way
/// to what changed. Two files with the same chunk list are the same
/// contents.
package struct SnapshotDiff {
    /// Where trees are read from.
    package let trees: TreeCache
    /// Whether to report entries whose metadata alone changed (`U`).
    package var includesMetadata: Bool

    /// Creates a comparison.
    ///
    /// - Parameters:
    ///   - trees: Reads the trees of both snapshots.
    ///   - includesMetadata: Whether to report metadata-only changes; without
    ///     it, an entry whose contents and type are the same is not reported.
    package init(trees: TreeCache, includesMetadata: Bool = false) {
        self.trees = trees
        self.includesMetadata = includesMetadata
    }

    /// Reports every difference between `old` and `new`, in path order.
    ///
    /// Two directories are compared by their contents (not their own
    /// metadata). Inside an added or removed directory, and inside a
    /// directory that changed type, every entry is reported too, each after
    /// its directory.
    ///
    /// - Parameters:
    ///   - old: The first snapshot's entry, e.g. its root.
    ///   - new: The second snapshot's entry; changes carry paths under its path.
    ///   - report: Called once per change, in order.
    /// - Returns: How many changes of each kind there were.
    /// - Throws: ``RepositoryError`` when a tree cannot be read; whatever `report` throws.
    package func compare(
        _ old: SnapshotEntry, _ new: SnapshotEntry, _ report: (SnapshotChange) throws -> Void
    ) async throws -> SnapshotDiffSummary {
        var summary = SnapshotDiffSummary(includesMetadata: includesMetadata)
        if old.node.type == .directory, new.node.type == .directory {
            try await compareTrees(old.node.subtree, new.node.subtree, at: new.path, &summary, report)
        } else {
            try await compareNodes(old.node, new.node, at: new.path, &summary, report)
        }
        return summary
    }

    /// Where changes go.
    private typealias Report = (SnapshotChange) throws -> Void

    /// Counts a change and reports it.
    private static func emit(
        _ kind: SnapshotChange.Kind, _ path: [UInt8], old: TreeNode?, new: TreeNode?,
        _ summary: inout SnapshotDiffSummary, _ report: Report
    ) throws {
        let change = SnapshotChange(kind: kind, path: path, old: old, new: new)
        summary.count(change)
        try report(change)
    }

    private func compareTrees(
        _ oldID: Digest256?, _ newID: Digest256?, at path: [UInt8],
        _ summary: inout SnapshotDiffSummary, _ report: Report
    ) async throws {
        guard oldID != newID else { return }
        let oldNodes = if let oldID { try await trees.tree(oldID).nodes } else { [TreeNode]() }
        let newNodes = if let newID { try await trees.tree(newID).nodes } else { [TreeNode]() }
        var oldIndex = 0
        var newIndex = 0
        while oldIndex < oldNodes.count || newIndex < newNodes.count {
            if newIndex == newNodes.count
                || (oldIndex < oldNodes.count && oldNodes[oldIndex].name.lexicographicallyPrecedes(newNodes[newIndex].name)) {
                let node = oldNodes[oldIndex]
                try await reportAll(.removed, node, at: PrintablePath.join(path, node.name), &summary, report)
                oldIndex += 1
            } else if oldIndex == oldNodes.count || newNodes[newIndex].name.lexicographicallyPrecedes(oldNodes[oldIndex].name) {
                let node = newNodes[newIndex]
                try await reportAll(.added, node, at: PrintablePath.join(path, node.name), &summary, report)
                newIndex += 1
            } else {
                let node = newNodes[newIndex]
                try await compareNodes(oldNodes[oldIndex], node, at: PrintablePath.join(path, node.name), &summary, report)
                oldIndex += 1
                newIndex += 1
            }
        }
    }

    private func compareNodes(
        _ old: TreeNode, _ new: TreeNode, at path: [UInt8],
        _ summary: inout SnapshotDiffSummary, _ report: Report
    ) async throws {
        guard old.type == new.type else {
            try Self.emit(.typeChanged, path, old: old, new: new, &summary, report)
            if old.type == .directory {
                try await reportChildren(.removed, of: old, at: path, &summary, report)
            }
            if new.type == .directory {
                try await reportChildren(.added, of: new, at: path, &summary, report)
            }
            return
        }
        let contentsDiffer: Bool = switch new.type {
        case .file: old.content != new.content || old.size != new.size
        case .symlink: old.linkTarget != new.linkTarget
        case .characterDevice, .blockDevice: old.rdev != new.rdev
        case .directory, .fifo, .socket: false
        }
        if contentsDiffer {
            try Self.emit(.modified, path, old: old, new: new, &summary, report)
        } else if includesMetadata, Self.metadataDiffers(old, new) {
            try Self.emit(.metadataChanged, path, old: old, new: new, &summary, report)
        }
        if new.type == .directory {
            try await compareTrees(old.subtree, new.subtree, at: path, &summary, report)
        }
    }

    /// Reports `node` and, for a directory, everything below it.
    private func reportAll(
        _ kind: SnapshotChange.Kind, _ node: TreeNode, at path: [UInt8],
        _ summary: inout SnapshotDiffSummary, _ report: Report
    ) async throws {
        try Self.emit(kind, path, old: kind == .removed ? node : nil, new: kind == .removed ? nil : node, &summary, report)
        if node.type == .directory {
            try await reportChildren(kind, of: node, at: path, &summary, report)
        }
    }

    private func reportChildren(
        _ kind: SnapshotChange.Kind, of node: TreeNode, at path: [UInt8],
        _ summary: inout SnapshotDiffSummary, _ report: Report
    ) async throws {
        for child in try await trees.children(of: node) {
            try await reportAll(kind, child, at: PrintablePath.join(path, child.name), &summary, report)
        }
    }

    /// Whether what `U` reports differs: permissions, owner, group, modification time, extended attributes.
    static func metadataDiffers(_ old: TreeNode, _ new: TreeNode) -> Bool {
        old.mode != new.mode || old.uid != new.uid || old.gid != new.gid || old.user != new.user || old.group != new.group
            || old.mtime != new.mtime || old.xattrs != new.xattrs
    }
}
