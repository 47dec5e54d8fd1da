import VaultCodecs
import VaultPOSIX
import VaultRepository

/// `vault backup`: takes a snapshot of some paths, or of a stream.
package struct Backup: Sendable {
    /// The repository to back up into.
    package var repository: Repository
    /// What to back up, and how.
    package var options: BackupOptions
    /// Raised by Ctrl-C or SIGTERM.
    package var interrupt: InterruptFlag
    /// Called with progress now and then.
    package var progress: @Sendable (BackupProgress) -> Void
    /// The file system the paths are read from.
    package var fileSystem: any SourceFileSystem = LocalSourceFileSystem()

    /// The program name recorded in snapshots.
    package static let program = VaultVersion.program

    /// Creates a backup operation.
    package init(repository: Repository, options: BackupOptions, interrupt: InterruptFlag = InterruptFlag(), progress: @escaping @Sendable (BackupProgress) -> Void = { _ in }) {
        self.repository = repository
        self.options = options
        self.interrupt = interrupt
        self.progress = progress
    }

    /// Runs the backup of ``options``' paths, or of `stream` when given.
    ///
    /// The backup holds a shared lock (``Repository/withLock(_:timing:_:)``);
    /// when the lock is lost the backup stops as if interrupted and writes
    /// no snapshot.
    ///
    /// Order: packs, then index files, then the snapshot, so an interruption
    /// at any point leaves a consistent repository. When interrupted, the
    /// blobs read so far are stored and indexed (the next backup reuses
    /// them) and no snapshot is written.
    ///
    /// - Returns: The new snapshot and what happened on the way.
    /// - Throws: ``OperationError`` (`.noSource` when no path can be read,
    ///   `.interrupted`), ``RepositoryError``.
    package func run(stream: StandardInputSource? = nil) async throws -> BackupResult {
        let started = Timestamp.now()
        return try await repository.withLock(.shared) { try await self.run(stream: stream, started: started) }
    }

    /// The parent-selection note and the repository notes as one line, or `nil`.
    private static func note(_ selection: String?, _ repository: [String]) -> String? {
        let clauses = [selection].compactMap { $0 } + repository
        return clauses.isEmpty ? nil : clauses.joined(separator: "; ")
    }

    private func run(stream: StandardInputSource?, started: Timestamp) async throws -> BackupResult {
        let workingDirectory = try FileSystem.currentDirectory().bytes
        let sources = SourcePaths(stream.map { ["/" + $0.fileName] } ?? options.paths, workingDirectory: workingDirectory)
        if stream == nil {
            guard !sources.paths.isEmpty else {
                throw OperationError(.invalidArgument, "no paths to back up")
            }
            let readable = sources.paths.filter { (try? fileSystem.status(of: $0)) != nil }
            guard !readable.isEmpty else {
                throw OperationError(.noSource, "none of the paths to back up exist: \(sources.strings.joined(separator: ", "))")
            }
        }
        let snapshots = try await repository.snapshots()
        let selection = ParentSelection(requested: options.kind, snapshots: snapshots, host: options.host, paths: sources.strings)
        let prepared = try await BackupIndex.prepare(repository)
        let index = prepared.chunks
        let parentRoot: Tree? = if let parent = selection.parent {
            try? await repository.loadTree(parent.manifest.tree, index: index)
        } else {
            nil
        }

        let archiver = BackupArchiver(
            repository: repository, index: index, options: options, reusesUnchangedFiles: selection.reusesUnchangedFiles,
            interrupt: interrupt, fileSystem: fileSystem, progress: progress
        )
        // Interrupted: what was read is stored and indexed, and no snapshot is written.
        let root = try await archiver.run { group in
            if let stream {
                try await archiver.archiveStream(stream, group: &group)
            } else {
                try await archiver.archive(sources, parentRoot: parentRoot, group: &group)
            }
        }
        var summary = archiver.summary
        summary.bytesAdded = archiver.writer.bytesAdded
        var manifest = SnapshotManifest(
            time: started, host: options.host, user: HostIdentity.userName, paths: sources.strings, tags: options.tags,
            kind: selection.kind, parent: selection.parent?.id, base: selection.kind == .full ? nil : selection.base,
            tree: root, incomplete: archiver.warnings.contains { $0.kind.makesSnapshotIncomplete }, summary: summary, program: Self.program
        )
        let alarm = archiver.ransomwareAlarm(snapshots: snapshots, host: options.host, paths: sources.strings, time: started)
        manifest.suspect = alarm?.suspicion
        let id = try await repository.saveSnapshot(manifest)
        return BackupResult(
            snapshotID: id, manifest: manifest, requestedKind: options.kind, note: Self.note(selection.note, prepared.notes), warnings: archiver.warnings,
            elapsedNanoseconds: Timestamp.now().nanoseconds - started.nanoseconds, ransomwareAlarm: alarm
        )
    }
}
