import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault prune`: removes the data no snapshot uses.
///
/// Under the exclusive lock: load the index files and list the packs, mark
/// every blob the snapshots reach (``PruneReachability``), compute the
/// ``PrunePlan``, and execute it in the order that keeps the repository
/// whole at every instant (docs/format.md, "Prune"):
///
/// 1. write the repacked packs (each blob copied as stored, after checking
///    that it opens and matches its ID);
/// 2. write the new index files: all but the last supersede nothing, the
///    last supersedes every old index file, so until it exists the old
///    index is in effect, and once it exists the new one is;
/// 3. delete the old index files;
/// 4. delete the packs no index names any more, and stale temporary files.
///
/// Killed at any instant, the repository verifies: before step 2 completes
/// the old index and all its packs are intact (new packs are unindexed
/// extras); after it, the new index names only packs that exist, and what
/// is left over is unindexed packs, which the next prune removes.
package struct RepositoryPrune {
    package var repository: Repository
    package var options: PruneOptions
    /// Raised by Ctrl-C or SIGTERM; checked between steps and packs.
    package var interrupt: InterruptFlag
    /// Snapshots to treat as gone (`forget --prune --dry-run` plans as if
    /// the forget had happened).
    package var excludedSnapshots: Set<SnapshotID> = []

    package init(repository: Repository, options: PruneOptions, interrupt: InterruptFlag = InterruptFlag()) {
        self.repository = repository
        self.options = options
        self.interrupt = interrupt
    }

    /// Plans and (unless a dry run) executes, under the exclusive lock.
    ///
    /// - Parameter removedSnapshots: For the report: how many snapshots the
    ///   `forget` before this prune removed.
    /// - Throws: ``RepositoryError``: `.locked` naming the holder; `.damaged`
    ///   when packs or blobs are missing or damaged (naming the affected
    ///   snapshots) and ``PruneOptions/ignoreDamaged`` is not set.
    ///   ``OperationError`` `.interrupted`.
    package func run(removedSnapshots: Int = 0) async throws -> PruneReport {
        try await PruneLockScope.exclusive(repository) { lock in
            try await run(lock: lock, removedSnapshots: removedSnapshots)
        }
    }

    /// Computes the plan; the caller holds the exclusive lock (tests may
    /// plan without it).
    ///
    /// - Returns: The plan, and every index file there was (which the new
    ///   index supersedes).
    func plan(lock: PruneLockScope.HeldLock?) async throws -> (plan: PrunePlan, indexFiles: [IndexFileID]) {
        let index = try await repository.loadIndexFiles()
        let indexFiles = index.all
        var storedPacks: [PackID: PrunePlan.StoredPack] = [:]
        for info in try await repository.list(.data) {
            guard let id = PackID(hex: info.name.name) else { continue }
            storedPacks[id] = PrunePlan.StoredPack(size: info.size, modified: Self.modificationTime(of: info))
        }
        let packs = index.packs
        _ = consume index
        var walk = PruneReachability(repository: repository, packs: packs, isPresent: { storedPacks[$0.id]?.size == $0.size }, lock: lock)
        let snapshots = try await repository.list(.snapshots).compactMap { SnapshotID(hex: $0.name.name) }.filter { !excludedSnapshots.contains($0) }
        try await walk.mark(snapshots)
        try interrupt.check()
        var used = walk.used
        if walk.damage.unreadableTrees {
            // Unknown subtrees may name any blob: nothing can be proved unused.
            for pack in packs {
                for blob in pack.blobs { used.insert(BlobKey(blob.type, blob.id)) }
            }
        }
        let plan = PrunePlan(used: used, indexedPacks: packs, storedPacks: storedPacks, damage: walk.damage, options: options, now: try await storageNow())
        return (plan, indexFiles)
    }

    /// When the storage last modified an object, by the storage's clock.
    static func modificationTime(of info: ObjectInfo) -> Timestamp? {
        Timestamp(nanoseconds: info.modificationTime.nanosecondsSinceEpoch)
    }

    /// "Now" by the storage's own clock: the modification time of the
    /// newest lock file, which is the exclusive lock prune wrote moments
    /// ago. Ages of packs are measured against it, so a clock skew between
    /// this host and the storage (or the host that wrote a pack) cannot
    /// make a fresh pack look old. Without a lock (a dry run without one),
    /// this host's clock.
    func storageNow() async throws(RepositoryError) -> Timestamp {
        let newestLock = try await repository.list(.locks).map(\.modificationTime).max()
        return newestLock.map { Timestamp(nanoseconds: $0.nanosecondsSinceEpoch) } ?? .now()
    }

    private func run(lock: PruneLockScope.HeldLock, removedSnapshots: Int) async throws -> PruneReport {
        let (plan, indexFiles) = try await plan(lock: lock)
        if !plan.damage.isEmpty, !options.ignoreDamaged {
            throw RepositoryError(.damaged, Self.damageMessage(plan.damage))
        }
        var report = PruneReport()
        report.removedSnapshots = removedSnapshots
        report.dryRun = options.dryRun
        report.deletedPacks = plan.delete.count
        report.deletedBytes = plan.delete.values.reduce(0, +)
        report.deletedUnindexedPacks = plan.deleteUnindexed.count
        report.deletedUnindexedBytes = plan.deleteUnindexed.values.reduce(0, +)
        report.repackedPacks = plan.repack.count
        report.repackedBytes = plan.repackedBytes
        report.keptPacks = plan.keep.count
        report.keptBytes = plan.keep.reduce(0) { $0 + $1.size }
        report.sizeBefore = plan.sizeBefore
        report.sizeAfter = plan.estimatedSizeAfter
        report.usedBytes = plan.usedBytes
        report.unusedBytesAfter = plan.unusedBytesAfter
        report.affectedSnapshots = plan.damage.affectedSnapshots.sorted()
        report.damagedPacksKept = plan.damagedKept.count
        report.unindexedPacksKept = plan.keepUnindexed.count
        if options.dryRun {
            return report
        }
        try await execute(plan, oldIndexFiles: indexFiles, lock: lock, report: &report)
        return report
    }

    /// The refusal message: what is lost and which snapshots it affects.
    static func damageMessage(_ damage: PrunePlan.Damage) -> String {
        let snapshots = damage.affectedSnapshots.sorted().map(\.shortHex)
        let shown = snapshots.prefix(10).joined(separator: ", ") + (snapshots.count > 10 ? ", …" : "")
        var what: [String] = []
        if !damage.lostBlobs.isEmpty {
            what.append("\(damage.lostBlobs.count) blob\(damage.lostBlobs.count == 1 ? " is" : "s are") missing or unreadable")
        }
        if damage.unreadableTrees, damage.lostBlobs.isEmpty {
            what.append("a snapshot cannot be read")
        }
        return "the repository is damaged: \(what.joined(separator: ", ")), affecting snapshot\(snapshots.count == 1 ? "" : "s") \(shown); "
            + "prune changed nothing (run 'vault verify --read-data'; repair from a mirror, or forget the affected snapshots; "
            + "--ignore-damaged prunes keeping everything that cannot be proved unused)"
    }

    // MARK: Execution

    private func execute(_ plan: PrunePlan, oldIndexFiles: [IndexFileID], lock: PruneLockScope.HeldLock, report: inout PruneReport) async throws {
        let execution = PruneExecution(repository: repository, ignoreDamaged: options.ignoreDamaged, interrupt: interrupt, lock: lock)

        // 1. Repacked packs.
        let repacked = try await execution.repack(plan.repack)
        for entry in repacked.damaged {
            report.repackedPacks -= 1
            report.repackedBytes -= entry.size
            report.damagedPacksKept += 1
        }
        report.writtenPacks = repacked.written.count
        report.writtenBytes = repacked.written.reduce(0) { $0 + $1.size }

        // 2. New index files, only the last superseding the old ones; 3. the old index files.
        if plan.changesIndex {
            try interrupt.check()
            let records = plan.keep + repacked.damaged.map(\.record) + repacked.written
            let written = try await execution.writeIndex(records, superseding: oldIndexFiles)
            report.indexFilesWritten = written.count
            let old = oldIndexFiles.filter { !written.contains($0) }
            try await execution.remove(old.map(ObjectName.init))
            report.indexFilesRemoved = old.count
        }

        // 4. Packs no index names any more, then stale temporary files.
        var doomed = Set(plan.delete.keys).union(plan.deleteUnindexed.keys)
        doomed.formUnion(plan.repack.map(\.pack).filter { pack in !repacked.damaged.contains { $0.pack == pack } })
        try await execution.remove(doomed.sorted().map(ObjectName.init))
        do {
            report.temporaryFilesRemoved = try await repository.storage.removeStaleTemporaryFiles(olderThan: options.safetyMargin)
        } catch {
            throw RepositoryError(error)
        }
        report.sizeAfter = report.sizeBefore - report.deletedBytes - report.deletedUnindexedBytes - report.repackedBytes + report.writtenBytes
    }
}
