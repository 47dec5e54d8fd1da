import VaultCodecs
import VaultPOSIX
import VaultRepository

/// `vault sync`: two-way synchronization of a folder through a
/// repository (README, "Sync"; docs/format.md, "Sync snapshots").
///
/// Order, all under the repository's exclusive lock, so two hosts
/// syncing one set serialize and never fork its head:
/// 1. scan the folder like an incremental backup whose parent is this
///    host's base (unchanged files are not read), storing new data;
/// 2. merge base, folder and head path by path (``SyncPlanner``);
/// 3. save the scanned folder as a `local` snapshot if the plan replaces
///    local versions, then write the new head;
/// 4. apply the changes to the folder (``SyncApplier``);
/// 5. scan the folder again (only received files are read) and record it
///    as this host's new base.
/// A crash before 5 leaves the old base: the next sync sees the applied
/// paths as "changed on both sides to the same contents" and the others
/// as remote changes still to apply.
package struct Sync {
    /// The repository holding the set.
    package var repository: Repository
    /// What to do.
    package var options: SyncOptions
    /// Raised by Ctrl-C or SIGTERM.
    package var interrupt: InterruptFlag
    /// Tests only: stop as a crash would after this many apply actions, before the base is recorded.
    var stopAfterActions: Int?
    /// The host's sync state as checked before the sync, when it keeps
    /// one: the sync skips its first scan when the state shows the folder
    /// unchanged since the base, and records a new state when it ends clean.
    var shortcut: SyncShortcut?

    /// Creates a sync operation.
    package init(repository: Repository, options: SyncOptions, interrupt: InterruptFlag = InterruptFlag()) {
        self.repository = repository
        self.options = options
        self.interrupt = interrupt
    }

    /// Runs the sync.
    ///
    /// - Throws: ``OperationError`` (`.invalidArgument`, `.noSource`,
    ///   `.interrupted`), ``RepositoryError``.
    package func run() async throws -> SyncResult {
        guard SyncOptions.isValidSetName(options.name) else {
            throw OperationError(.invalidArgument, "invalid sync set name '\(options.name)'")
        }
        let folder = try Self.folderPath(options.directory)
        let status: FileStatus
        do {
            status = try FileSystem.status(of: FilePath(bytes: folder), followSymbolicLinks: false)
        } catch {
            throw OperationError(.noSource, "cannot read the folder \(String(decoding: folder, as: UTF8.self)): \(error.code)")
        }
        guard status.type == .directory else {
            throw OperationError(.noSource, "\(String(decoding: folder, as: UTF8.self)) is not a folder")
        }
        // The one place sync takes a lock: two hosts syncing the same set serialize.
        return try await repository.withLock(.exclusive) { try await self.run(folder: folder, status: status) }
    }

    private func run(folder: [UInt8], status: FileStatus) async throws -> SyncResult {
        let started = Timestamp.now()
        // The names first: the state recorded at the end must not name a snapshot the sync did not see.
        let names = shortcut == nil ? nil : Set(try await repository.list(.snapshots).map(\.name.name))
        let catalog = try await repository.snapshotCatalog()
        let state = SyncSetState(options.name, snapshots: catalog.readable, host: options.host)
        var recorder = shortcut.flatMap { SyncStateRecorder($0, names: names, catalog: catalog, options: options) }
        if state.head == nil, options.mode == .pull || options.mode == .replace {
            throw OperationError(.snapshotNotFound, "no sync set '\(options.name)' in the repository to pull from")
        }
        var index = try await repository.loadIndex().chunks

        // 1. Scan; not needed when the state shows the folder unchanged since its base was scanned.
        var scan: SyncScan
        if let base = state.base, let unchangedSince = shortcut?.folderMatchesBase, unchangedSince == base.id {
            scan = SyncScan(root: base.manifest.tree, index: index, warnings: [], summary: base.manifest.summary)
        } else {
            let baseRoot: Tree? = if let base = state.base { try? await repository.loadTree(base.manifest.tree, index: index) } else { nil }
            scan = try await SyncScan.run(
                repository: repository, index: index, folder: folder, status: status, parent: baseRoot, host: options.host,
                interrupt: interrupt
            )
        }
        index = scan.index
        if let base = state.base, base.manifest.tree == scan.root, base.manifest.sync?.head == state.head?.id,
           base.manifest.sync?.unsettled.isEmpty ?? false, base.manifest.sync?.pending.isEmpty ?? false {
            if !options.dryRun, scan.warnings.isEmpty, let head = state.head, let listing = shortcut?.listing {
                await recorder?.record(base: base.id, head: head.id, folder: listing, repository: repository)
            }
            let empty = SyncPlanner(base: [:], local: [:], head: [:], mode: options.mode, conflictName: ConflictName(host: options.host, time: started)).plan()
            return SyncResult(plan: empty, headID: state.head?.id, wroteHead: false, baseID: nil, localSnapshotID: nil, skipped: [], warnings: scan.warnings, unchanged: true)
        }

        // 2. Merge.
        var trees: [Digest256: Tree] = [:]
        // Unchanged directories are skipped only when the base is exact: nothing pending, nothing unsettled, all read.
        let baseIsExact = state.base.map { ($0.manifest.sync?.pending.isEmpty ?? false) && ($0.manifest.sync?.unsettled.isEmpty ?? false) } ?? false
            && !scan.warnings.contains { $0.kind == .unreadable }
        let sides = try await SyncTrees.sides(
            base: state.base?.manifest.tree, local: scan.root, head: state.head?.manifest.tree,
            previousHead: baseIsExact ? state.previousHeadTree : nil, repository: repository, index: index, cache: &trees
        )
        var local = sides.local
        let head = sides.head
        let base = sides.base
        var unsettled = Set((state.base?.manifest.sync?.unsettled ?? []).map { SyncPath($0) })
        // An entry the scan could not read is not a deletion: it stands as the base had it, and stays unsettled.
        for warning in scan.warnings where warning.kind == .unreadable {
            guard let path = Self.relativePath(Array(warning.path.utf8), in: folder) else { continue }
            // An unreadable folder lists as empty: what was below it is not deleted either.
            Self.replaceSubtree(at: path, in: &local, from: base)
            unsettled.insert(path)
        }
        let plan = SyncPlanner(
            base: base, unsettled: unsettled, local: local, head: head, mode: options.mode,
            conflictName: ConflictName(host: options.host, time: started)
        ).plan()
        if options.dryRun {
            return SyncResult(plan: plan, headID: state.head?.id, wroteHead: false, baseID: nil, localSnapshotID: nil, skipped: [], warnings: scan.warnings, unchanged: false)
        }

        // 3. History first, then the head.
        var localSnapshotID: SnapshotID?
        if !plan.replacedLocalVersions.isEmpty {
            localSnapshotID = try await save(tree: scan.root, role: .local, summary: scan.summary, started: started, folder: folder, recorder: &recorder)
        }
        var headID = state.head?.id
        var wroteHead = false
        if plan.sendsHead || state.head == nil {
            var writer = RepositoryWriter(repository: repository, index: index)
            let root = try await SyncTrees.store(plan.merged, opaque: sides.opaque, writer: &writer)
            try await writer.flush()
            index = writer.index
            let merged = [state.head?.id, localSnapshotID ?? state.base?.id].compactMap { $0 }
            headID = try await save(tree: root, role: .head, merged: merged, summary: SnapshotSummary(), started: started, folder: folder, recorder: &recorder)
            wroteHead = true
        }

        // 4. Apply.
        var applier = SyncApplier(root: FilePath(bytes: folder), repository: repository, index: index, interrupt: interrupt)
        let actions = stopAfterActions.map { Array(plan.actions.prefix($0)) } ?? plan.actions
        var start = 0
        while start < actions.count {
            let end = min(start + 256, actions.count)
            try await applier.applyPart(actions[start..<end])
            try RepositoryLock.checkCancellation()
            start = end
        }
        if stopAfterActions != nil {
            throw OperationError(.interrupted, "stopped during the apply (test)")
        }
        let skipped = applier.finish()

        // 5. The new base: the folder as it now is (as scanned, when nothing was changed in it).
        var listing = shortcut?.listing
        if !actions.isEmpty {
            // The walk the state records comes before the scan that makes the base.
            listing = recorder == nil ? nil : try? SyncFolderListing.read(folder)
            let rescanParent = try? await repository.loadTree(scan.root, index: index)
            scan = try await SyncScan.run(
                repository: repository, index: index, folder: folder, status: status, parent: rescanParent, host: options.host,
                interrupt: interrupt
            )
            index = scan.index
        }
        // Paths the folder did not take keep their old base, so the next sync merges them again.
        var keepOld = Set(plan.leftAlone).union(skipped.map(\.path))
        for warning in scan.warnings where warning.kind == .unreadable {
            if let path = Self.relativePath(Array(warning.path.utf8), in: folder) { keepOld.insert(path) }
        }
        var newBaseRoot = scan.root
        if !keepOld.isEmpty {
            var listing = try await SyncTrees.listing(of: scan.root, repository: repository, index: index, cache: &trees)
            for path in keepOld.sorted() { Self.replaceSubtree(at: path, in: &listing, from: base) }
            listing = listing.filter { path, _ in path.ancestors.allSatisfy { listing[$0]?.type == .directory } }
            var writer = RepositoryWriter(repository: repository, index: index)
            newBaseRoot = try await SyncTrees.store(listing, writer: &writer)
            try await writer.flush()
        }
        let baseID = try await save(
            tree: newBaseRoot, role: .base, head: headID, unsettled: plan.unsettled.map(\.description), pending: keepOld.sorted().map(\.description),
            summary: scan.summary, started: started, folder: folder, recorder: &recorder
        )
        // The state may say "nothing to do" next time only when the folder is the base and the base the head.
        if keepOld.isEmpty, plan.unsettled.isEmpty, skipped.isEmpty, scan.warnings.isEmpty, let headID, let listing {
            await recorder?.record(base: baseID, head: headID, folder: listing, repository: repository)
        }
        return SyncResult(
            plan: plan, headID: headID, wroteHead: wroteHead, baseID: baseID, localSnapshotID: localSnapshotID,
            skipped: skipped, warnings: scan.warnings, unchanged: false
        )
    }

    private func save(
        tree: Digest256, role: SyncRecord.Role, merged: [SnapshotID] = [], head: SnapshotID? = nil, unsettled: [String] = [],
        pending: [String] = [], summary: SnapshotSummary, started: Timestamp, folder: [UInt8], recorder: inout SyncStateRecorder?
    ) async throws -> SnapshotID {
        var manifest = SnapshotManifest(
            time: started, host: options.host, user: HostIdentity.userName, paths: [String(decoding: folder, as: UTF8.self)],
            tags: [], kind: .full, parent: nil, base: nil, tree: tree, incomplete: false, summary: summary, program: Backup.program
        )
        manifest.sync = SyncRecord(set: options.name, role: role, merged: merged, head: head, unsettled: unsettled, pending: pending)
        let id = try await repository.saveSnapshot(manifest)
        recorder?.written.append((id, manifest))
        return id
    }

    /// Makes `listing` hold what `source` has at `path` and below it.
    static func replaceSubtree(at path: SyncPath, in listing: inout SyncListing, from source: SyncListing?) {
        let prefix = path.bytes + [UInt8(ascii: "/")]
        listing = listing.filter { key, _ in key != path && !key.bytes.starts(with: prefix) }
        for (key, node) in source ?? [:] where key == path || key.bytes.starts(with: prefix) {
            listing[key] = node
        }
    }

    /// `path` relative to `folder`, or `nil` when it is not below it.
    static func relativePath(_ path: [UInt8], in folder: [UInt8]) -> SyncPath? {
        let prefix = folder.last == UInt8(ascii: "/") ? folder : folder + [UInt8(ascii: "/")]
        guard path.count > prefix.count, path.starts(with: prefix) else { return nil }
        return SyncPath(Array(path.dropFirst(prefix.count)))
    }
}

/// A sync set's head and one host's base, found among the snapshots.
package struct SyncSetState: Sendable {
    /// The set's head: the head no other head merged (the newest such, should there be several).
    package var head: (id: SnapshotID, manifest: SnapshotManifest)?
    /// The host's newest base.
    package var base: (id: SnapshotID, manifest: SnapshotManifest)?
    /// The tree of the head the base was made to match, if that snapshot is still there.
    package var previousHeadTree: Digest256?

    /// Finds them in `snapshots` (oldest first).
    package init(_ set: String, snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], host: String) {
        // The head is the tip of the chain of heads (each merges the one before), so a host
        // whose clock is behind cannot hide a newer head behind an older time.
        let heads = snapshots.filter { $0.manifest.sync?.set == set && $0.manifest.sync?.role == .head }
        let superseded = Set(heads.flatMap { $0.manifest.sync?.merged ?? [] })
        head = heads.last { !superseded.contains($0.id) } ?? heads.last
        base = snapshots.last { $0.manifest.sync?.set == set && $0.manifest.sync?.role == .base && $0.manifest.host == host }
        if let previous = base?.manifest.sync?.head {
            previousHeadTree = heads.first { $0.id == previous }?.manifest.tree
        }
    }

    /// The snapshots `forget` and `prune` must never remove: every set's
    /// head and every host's base of every set, and the heads those bases
    /// name (docs/format.md, "Sync snapshots").
    package static func protectedSnapshots(_ snapshots: [(id: SnapshotID, manifest: SnapshotManifest)]) -> Set<SnapshotID> {
        var result: Set<SnapshotID> = []
        let sets = Set(snapshots.compactMap { $0.manifest.sync?.set })
        for set in sets {
            let hosts = Set(snapshots.filter { $0.manifest.sync?.set == set && $0.manifest.sync?.role == .base }.map(\.manifest.host))
            if let head = SyncSetState(set, snapshots: snapshots, host: "").head { result.insert(head.id) }
            for host in hosts {
                guard let base = SyncSetState(set, snapshots: snapshots, host: host).base else { continue }
                result.insert(base.id)
                if let head = base.manifest.sync?.head { result.insert(head) }
            }
        }
        return result
    }
}
