import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Scans a synchronized folder like an incremental backup whose tree is
/// rooted at the folder: files unchanged since `parent` (same size, times,
/// inode) are taken from it unread; new data is stored and indexed.
struct SyncScan {
    /// The folder's root tree.
    var root: Digest256
    /// The index, with what the scan added.
    var index: ChunkIndex
    /// Entries that could not be read.
    var warnings: [BackupWarning]
    /// What the scan found and stored.
    var summary: SnapshotSummary

    static func run(
        repository: Repository, index: ChunkIndex, folder: [UInt8], status: FileStatus, parent: Tree?, host: String,
        interrupt: InterruptFlag
    ) async throws -> SyncScan {
        var options = BackupOptions(paths: [String(decoding: folder, as: UTF8.self)])
        options.host = host
        // A temporary file of an interrupted sync is never synchronized.
        try options.excludes.add("\(SyncApplier.temporaryPrefix)*\(SyncApplier.temporarySuffix)")
        let archiver = BackupArchiver(
            repository: repository, index: index, options: options, reusesUnchangedFiles: parent != nil,
            interrupt: interrupt, progress: { _ in }
        )
        let root = try await archiver.run { group in
            try await archiver.archiveDirectory(at: folder, status: status, parent: parent, group: &group)
        }
        var summary = archiver.summary
        summary.bytesAdded = archiver.writer.bytesAdded
        return SyncScan(root: root, index: archiver.writer.index, warnings: archiver.warnings, summary: summary)
    }
}
