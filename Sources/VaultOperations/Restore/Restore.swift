import VaultCodecs
import VaultPOSIX
import VaultRepository

/// `vault restore`: writes a snapshot, or part of one, into a directory.
///
/// Entries keep their absolute snapshot paths under the target
/// (`/home/ada/x` becomes `TARGET/home/ada/x`); with `ID:PATH` the contents
/// of `PATH` go straight into the target. The restore runs in phases:
///
/// 1. Walk the snapshot's trees beside the target and plan, changing
///    nothing (``RestorePlanner``, ``RestorePlan``). With `--dry-run` the
///    restore stops here and returns the plan's ``RestorePreview``.
/// 2. Remove what the plan says must go (``RestoreClearing``).
/// 3. Create the directories, symbolic links and special files, and write
///    the files' contents, reading each pack once (``RestoreContentWriter``).
/// 4. Link the further names of hard-linked files.
/// 5. With `--verify`, read the files back and check every chunk.
/// 6. Set the directories' metadata, deepest first.
///
/// A problem with one entry is reported and the restore goes on; the
/// result lists them all.
package struct Restore: Sendable {
    /// The repository to restore from.
    package var repository: Repository
    /// What to restore, where, and how.
    package var options: RestoreOptions
    /// Raised by Ctrl-C or SIGTERM.
    package var interrupt: InterruptFlag
    /// Called with progress now and then.
    package var progress: @Sendable (RestoreProgress) -> Void
    /// The lock the restore takes: shared by default.
    package var locking: LockPolicy = .shared

    /// Creates a restore operation.
    package init(
        repository: Repository, options: RestoreOptions, interrupt: InterruptFlag = InterruptFlag(),
        progress: @escaping @Sendable (RestoreProgress) -> Void = { _ in }
    ) {
        self.repository = repository
        self.options = options
        self.interrupt = interrupt
        self.progress = progress
    }

    /// Runs the restore.
    ///
    /// - Returns: What was restored, and the problems with single entries.
    /// - Throws: ``OperationError``: `.snapshotNotFound` for an unknown or
    ///   ambiguous ID, `.pathNotFound` for a path the snapshot does not
    ///   have, `.targetFailed` when the target cannot be used,
    ///   `.interrupted`; ``RepositoryError`` when the repository cannot be
    ///   read at all.
    package func run() async throws -> RestoreResult {
        let started = Timestamp.now()
        return try await repository.withLock(locking) {
            let catalog = try await repository.snapshotCatalog()
            let damaged = catalog.damaged.map(\.id)
            let (id, manifest) = try options.snapshot.resolve(in: catalog.readable, damaged: damaged)
            var result = try await run(id: id, manifest: manifest, started: started)
            result.damagedSnapshotsLeftOut = damaged
            return result
        }
    }

    private func run(id: SnapshotID, manifest: SnapshotManifest, started: Timestamp) async throws -> RestoreResult {
        let index = try await repository.loadIndex(checkingPacks: true).chunks
        let path = options.snapshot.path ?? [UInt8(ascii: "/")]
        guard let node = try await repository.node(at: path, root: manifest.tree, index: index) else {
            throw OperationError(.pathNotFound, "snapshot \(id.shortHex) has no \(String(decoding: path, as: UTF8.self))")
        }
        let descriptorLimit = FileSystem.raiseOpenFileLimit()
        let target = try RestoreTarget(path: options.target, creating: !options.isDryRun)
        let report = RestoreReport()
        let metadata = RestoreMetadata()

        let planner = RestorePlanner(
            repository: repository, index: index, options: options,
            directories: RestoreDirectories(target), report: report, metadata: metadata,
            interrupt: interrupt)
        try await planner.plan(node, at: path)
        var plan = planner.takePlan()
        let directories = planner.cache.directories
        if options.isDryRun {
            return RestoreResult(
                snapshotID: id, manifest: manifest, target: options.target, summary: report.summary,
                problems: report.problems.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) },
                verification: nil, preview: plan.preview(planner.cache),
                elapsedNanoseconds: Timestamp.now().nanoseconds - started.nanoseconds)
        }
        RestoreClearing(cache: planner.cache, report: report).remove(plan.removals)

        let writer = RestoreContentWriter(
            plan: &plan, repository: repository, directories: directories, metadata: metadata, interrupt: interrupt,
            maximumOpenFiles: min(1024, descriptorLimit / 4), inFlightBudget: options.inFlightBudget, progress: progress
        )
        try await writer.run()
        for laneReport in writer.reports {
            report.merge(laneReport)
        }

        let cache = RestoreDirectoryCache(directories, capacity: 128)
        var finishing = RestoreFinishing(
            cache: cache, names: RestoreTemporaryNames(run: UInt64.random(in: 0...UInt64.max), lane: 0), report: report,
            metadata: metadata, overwrite: options.overwrite)
        finishing.makeLinks(plan.links, file: writer.file)
        finishing.resetTimes(of: plan.unchangedLinks)

        var verification: RestoreVerification?
        if options.verifies {
            var items: [RestoreVerifier.Item] = []
            for file in writer.completedFiles {
                items.append(verifierItem(file.directory, file.name, file.content, index: index))
            }
            for file in plan.unchangedFiles {
                items.append(verifierItem(file.directory, file.name, file.node.content, index: index))
            }
            verification = try await RestoreVerifier.verify(items, cache: cache, identifier: repository.identifier, interrupt: interrupt)
        }

        finishing.finishDirectories(plan.directories)

        return RestoreResult(
            snapshotID: id, manifest: manifest, target: options.target, summary: report.summary,
            problems: report.problems.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) },
            verification: verification, preview: nil, elapsedNanoseconds: Timestamp.now().nanoseconds - started.nanoseconds,
            peakInFlightBytes: writer.peakInFlightBytes, largestReadCost: writer.largestReadCost
        )
    }

    private func verifierItem(_ directory: Int, _ name: [UInt8], _ content: [Digest256], index: ChunkIndex) -> RestoreVerifier.Item {
        RestoreVerifier.Item(
            directory: directory, name: name,
            chunks: content.map { RestoreVerifier.Chunk(id: $0, length: Int(index.location(of: .data($0))?.rawLength ?? 0)) }
        )
    }
}
