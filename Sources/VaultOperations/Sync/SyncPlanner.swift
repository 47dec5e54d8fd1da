import VaultRepository

/// The three-way merge of a sync: base, local folder and head, path by
/// path (README, "Sync"; docs/format.md, "Sync snapshots").
///
/// For each path, with `same` comparing type, contents and permission
/// bits (``SyncComparison``):
/// - local and head the same → nothing to merge;
/// - only one side differs from the base → that side wins (an addition,
///   an edit, a deletion);
/// - one side deleted, the other changed → the changed version is kept
///   (a note says so);
/// - same contents, different permission bits → the contents, with the
///   bits of the side that changed them (the head's when both did);
/// - one side changed only the bits, the other the contents → both
///   changes are combined;
/// - different contents on both sides → a conflict: the head's version
///   keeps the name and the local one is kept beside it as a conflict
///   copy (``ConflictName``), except that a directory always keeps the
///   name and the file (or symlink) it met is the copy;
/// - a kept entry below a path that became a file (or was deleted) keeps
///   its directories: a file in the way is moved to a conflict copy.
///
/// Without a base (a host's first sync, or a lost base), or for the
/// base's unsettled paths, every path present on one side only is kept
/// and every path present on both with different contents is a conflict:
/// nothing is ever deleted for want of a base.
package struct SyncPlanner: Sendable {
    /// What the folder last matched; `nil` when there is no base.
    package var base: SyncListing?
    /// Paths of the base to treat as unknown.
    package var unsettled: Set<SyncPath>
    /// The folder as scanned.
    package var local: SyncListing
    /// The set's head; empty for a new set.
    package var head: SyncListing
    /// What the sync does.
    package var mode: SyncMode
    /// Names conflict copies.
    package var conflictName: ConflictName

    /// Creates a planner.
    package init(base: SyncListing?, unsettled: Set<SyncPath> = [], local: SyncListing, head: SyncListing, mode: SyncMode, conflictName: ConflictName) {
        self.base = base
        self.unsettled = unsettled
        self.local = local
        self.head = head
        self.mode = mode
        self.conflictName = conflictName
    }

    private func baseNode(_ path: SyncPath) -> TreeNode? {
        guard let base, !unsettled.contains(path) else { return nil }
        return base[path]
    }

    /// Computes the plan.
    package func plan() -> SyncPlan {
        var state = MergeState()
        let paths = Set(local.keys).union(head.keys).union(base?.keys ?? [:].keys).sorted()
        var target: SyncListing
        switch mode {
        case .push:
            state.merged = local
            target = local
        case .replace:
            state.merged = head
            target = head
            for path in paths where local[path] != nil && !SyncComparison.same(local[path], head[path])
                && !SyncComparison.same(local[path], baseNode(path)) {
                state.replacedLocal.append(path)
            }
        case .pull:
            state.merged = head
            target = [:]
            for path in paths {
                let (b, l, h) = (baseNode(path), local[path], head[path])
                if SyncComparison.same(l, b) {
                    target[path] = h
                } else {
                    target[path] = l
                    if !SyncComparison.same(l, h) {
                        state.leftAlone.append(path)
                        if !SyncComparison.same(h, b) { state.unsettled.append(path) }
                    }
                }
            }
            keepDirectoriesForPull(&target, state: &state)
        case .readWrite, .prefer:
            for path in paths {
                merge(path, state: &state)
            }
            keepDirectories(&state)
            target = state.merged
        }
        return finish(state, target: target)
    }

    // MARK: Merging

    private struct MergeState {
        var merged: SyncListing = [:]
        var conflicts: [SyncConflict] = []
        var notes: [SyncNote] = []
        var renames: [(from: SyncPath, to: SyncPath)] = []
        var replacedLocal: [SyncPath] = []
        var leftAlone: [SyncPath] = []
        var unsettled: [SyncPath] = []
    }

    private var preferred: SyncSide? {
        if case .prefer(let side) = mode { return side }
        return nil
    }

    private func merge(_ path: SyncPath, state: inout MergeState) {
        let (b, l, h) = (baseNode(path), local[path], head[path])
        if SyncComparison.same(l, h) || SyncComparison.same(l, b) {
            state.merged[path] = h
            return
        }
        if SyncComparison.same(h, b) {
            state.merged[path] = l
            return
        }
        // Both sides changed, differently.
        guard let l, let h else {
            // One side deleted, the other changed (a base exists: else the deleting side would equal it).
            if let preferred {
                let winner = preferred == .local ? l : h
                state.merged[path] = winner
                if winner == nil, l != nil { state.replacedLocal.append(path) }
                state.notes.append(SyncNote(path: path, message: l == nil ? "deleted locally, changed remotely: \(preferred.rawValue) wins" : "deleted remotely, changed locally: \(preferred.rawValue) wins"))
            } else {
                state.merged[path] = l ?? h
                state.notes.append(SyncNote(path: path, message: l == nil ? "deleted locally, changed remotely: kept" : "deleted remotely, changed locally: kept"))
            }
            return
        }
        if SyncComparison.sameContent(l, h) {
            // Only the permission bits differ.
            var node = h
            if let b, b.type == h.type, SyncComparison.sameMode(h, b) {
                node.mode = l.mode
            } else if let b, b.type == l.type, !SyncComparison.sameMode(l, b) {
                state.notes.append(SyncNote(path: path, message: "permissions changed on both sides: remote's kept"))
            }
            state.merged[path] = node
            return
        }
        if let b, SyncComparison.sameContent(l, b) {
            // Local changed only the bits, the head the contents.
            var node = h
            if b.type == h.type, SyncComparison.sameMode(h, b) { node.mode = l.mode }
            state.merged[path] = node
            return
        }
        if let b, SyncComparison.sameContent(h, b) {
            var node = l
            if b.type == l.type, SyncComparison.sameMode(l, b) { node.mode = h.mode }
            state.merged[path] = node
            return
        }
        // A conflict: different contents on both sides.
        let reason: SyncConflict.Reason = (l.type == .directory) != (h.type == .directory) ? .directoryAndFile : .bothChanged
        if let preferred, reason == .bothChanged {
            state.merged[path] = preferred == .local ? l : h
            if preferred == .remote { state.replacedLocal.append(path) }
            state.conflicts.append(SyncConflict(path: path, copy: nil, copySide: nil, reason: reason))
            return
        }
        if l.type == .directory {
            state.merged[path] = l
            let copy = copyPath(for: path, state: state)
            state.merged[copy] = renamed(h, copy)
            state.conflicts.append(SyncConflict(path: path, copy: copy, copySide: .remote, reason: reason))
        } else {
            state.merged[path] = h
            let copy = copyPath(for: path, state: state)
            state.merged[copy] = renamed(l, copy)
            state.renames.append((path, copy))
            state.conflicts.append(SyncConflict(path: path, copy: copy, copySide: .local, reason: reason))
        }
    }

    /// Makes every ancestor of a merged entry a directory, moving a file in the way to a conflict copy.
    private func keepDirectories(_ state: inout MergeState) {
        for path in state.merged.keys.sorted() {
            for ancestor in path.ancestors {
                guard let existing = state.merged[ancestor] else {
                    state.merged[ancestor] = directoryNode(for: ancestor)
                    continue
                }
                guard existing.type != .directory else { continue }
                let copy = copyPath(for: ancestor, state: state)
                state.merged[copy] = renamed(existing, copy)
                state.merged[ancestor] = directoryNode(for: ancestor)
                let fromLocal = local[ancestor].map { SyncComparison.same($0, existing) } ?? false
                if fromLocal { state.renames.append((ancestor, copy)) }
                state.conflicts.append(SyncConflict(path: ancestor, copy: copy, copySide: fromLocal ? .local : .remote, reason: .directoryAndFile))
            }
        }
    }

    /// `--pull`: the target's entries keep their directories. Where the
    /// head put a file over a local directory that holds kept entries, the
    /// local directory stays (left alone); a head entry below a local file
    /// is not applied (left alone).
    private func keepDirectoriesForPull(_ target: inout SyncListing, state: inout MergeState) {
        for path in target.keys.sorted() where target[path] != nil {
            for ancestor in path.ancestors where target[ancestor]?.type != .directory {
                if target[ancestor] == nil {
                    target[ancestor] = directoryNode(for: ancestor)
                } else if let l = local[ancestor], l.type == .directory {
                    target[ancestor] = l
                    state.leftAlone.append(ancestor)
                    state.unsettled.append(ancestor)
                } else {
                    target[path] = nil
                    state.leftAlone.append(path)
                    state.unsettled.append(path)
                    break
                }
            }
        }
    }

    private func directoryNode(for path: SyncPath) -> TreeNode {
        for candidate in [local[path], head[path], base?[path]] {
            if let candidate, candidate.type == .directory { return candidate }
        }
        var node = TreeNode(name: path.name, type: .directory)
        node.mode = 0o755
        return node
    }

    private func renamed(_ node: TreeNode, _ path: SyncPath) -> TreeNode {
        var copy = node
        copy.name = path.name
        return copy
    }

    private func copyPath(for path: SyncPath, state: MergeState) -> SyncPath {
        let parent = path.parent
        let name = conflictName.name(for: path.name) { candidate in
            let candidatePath = parent?.appending(candidate) ?? SyncPath(candidate)
            return state.merged[candidatePath] != nil || local[candidatePath] != nil || head[candidatePath] != nil
        }
        return parent?.appending(name) ?? SyncPath(name)
    }

    // MARK: Actions

    private func finish(_ state: MergeState, target: SyncListing) -> SyncPlan {
        var current = local
        var actions: [SyncAction] = []
        for (from, to) in state.renames {
            guard let node = current[from] else { continue }
            actions.append(.rename(from: from, to: to, expected: node))
            current[to] = renamed(node, to)
            current[from] = nil
        }
        var removals: [(SyncPath, TreeNode)] = []
        var creations: [SyncAction] = []
        var modes: [(SyncPath, UInt32, TreeNode)] = []
        for path in Set(current.keys).union(target.keys).sorted() {
            let (now, want) = (current[path], target[path])
            switch (now, want) {
            case (nil, nil):
                continue
            case (let now?, nil):
                removals.append((path, now))
            case (nil, let want?):
                creations.append(want.type == .directory ? .makeDirectory(path, want) : .write(path, want, expected: nil))
            case (let now?, let want?):
                if now.type != want.type, now.type == .directory || want.type == .directory {
                    removals.append((path, now))
                    creations.append(want.type == .directory ? .makeDirectory(path, want) : .write(path, want, expected: nil))
                } else if !SyncComparison.sameContent(now, want) {
                    creations.append(.write(path, want, expected: now))
                } else if !SyncComparison.sameMode(now, want) {
                    modes.append((path, want.mode, now))
                }
            }
        }
        // Deepest first, so directories are empty when their turn comes.
        removals.sort { ($0.0.depth, $0.0) > ($1.0.depth, $1.0) }
        actions += removals.map { .remove($0.0, expected: $0.1) }
        creations.sort { ($0.path.depth, $0.path) < ($1.path.depth, $1.path) }
        actions += creations
        // Files first, then directories deepest first: a directory made read-only last.
        modes.sort { lhs, rhs in
            let (l, r) = (lhs.2.type == .directory, rhs.2.type == .directory)
            if l != r { return !l }
            return (lhs.0.depth, lhs.0) > (rhs.0.depth, rhs.0)
        }
        actions += modes.map { .setMode($0.0, $0.1, expected: $0.2) }

        let sent = state.merged.keys.filter { !SyncComparison.same(state.merged[$0], head[$0]) }.sorted()
        let sentDeletions = head.keys.filter { state.merged[$0] == nil }.sorted()
        let received = target.keys.filter { !SyncComparison.same(target[$0], current[$0]) }.sorted()
        let deleted = current.keys.filter { target[$0] == nil }.sorted()
        return SyncPlan(
            merged: state.merged, target: target, sendsHead: !sent.isEmpty || !sentDeletions.isEmpty,
            replacedLocalVersions: state.replacedLocal, actions: actions, conflicts: state.conflicts, sent: sent,
            sentDeletions: sentDeletions, received: received, deleted: deleted, leftAlone: state.leftAlone.sorted(),
            unsettled: state.unsettled.sorted(), notes: state.notes
        )
    }
}
