import ArgumentParser
import Foundation
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault stats`: how big snapshots and the repository are.
struct StatsCommand: AsyncParsableCommand {
    /// What to count.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case restoreSize = "restore-size"
        case rawData = "raw-data"
    }

    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show how much data snapshots hold and the repository stores.",
        discussion: """
            --mode restore-size (the default) counts what restoring the snapshots would write: files (each name \
            of a hard-linked file counts), directories (including those on the way to the backed-up paths), \
            other entries (symlinks, FIFOs, sockets, devices) and the files' total size. A hard-linked file's \
            size counts once per (device, inode) in each snapshot. With several snapshots the numbers add up.

            --mode raw-data counts the distinct blobs the snapshots reference (file chunks and directory trees, \
            each once however many files and snapshots share it): their size as plaintext, their size as stored \
            (compressed, and encrypted) and the compression ratio (plaintext / stored).

            Without SNAPSHOT every snapshot is counted, and the repository's totals follow: indexed packs and \
            their size, and every indexed blob, used or not.

            --json prints one JSON object: "mode", "snapshots" and the numbers of the mode (restore-size: \
            files, directories, others, total_size; raw-data: data_blobs, tree_blobs, raw_size, stored_size, \
            compression_ratio, missing_blobs), and without SNAPSHOT "repository": {packs, pack_size, data_blobs, \
            tree_blobs, raw_size, stored_size, compression_ratio}. Sizes are in bytes.

            Examples:
              vault stats -r /backups
              vault stats -r /backups latest --mode raw-data
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Argument(help: ArgumentHelp("Snapshots to count: 'latest', IDs or unique prefixes (default: all).", valueName: "snapshot"))
    var snapshotReferences: [String] = []

    @Option(help: ArgumentHelp("What to count: restore-size or raw-data.", valueName: "mode"))
    var mode: Mode = .restoreSize

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let references = try snapshotReferences.map { text throws(OperationError) in try SnapshotReference(parsing: text) }
        let opened = try await repository.openRepository()
        let mode = self.mode
        let json = self.json
        try await opened.withLock(locking.policy) {
            try await Self.report(references, in: opened, mode: mode, json: json)
        }
    }

    private static func report(_ references: [SnapshotReference], in opened: Repository, mode: Mode, json: Bool) async throws {
        let catalog = try await opened.snapshotCatalog()
        DamagedSnapshotWarning.emit(for: catalog)
        let snapshots = catalog.readable
        let damaged = catalog.damaged.map(\.id)
        var selected = snapshots
        if !references.isEmpty {
            var seen = Set<String>()
            selected = try references.map { reference throws(OperationError) in try reference.resolve(in: snapshots, damaged: damaged) }
                .filter { seen.insert($0.id.hex).inserted }
        }
        let index = try await opened.loadIndex()
        let statistics = RepositoryStatistics(trees: TreeCache(repository: opened, index: index.chunks))
        let roots = selected.map(\.manifest.tree)
        let totals = references.isEmpty ? RepositoryStatistics.Totals(index) : nil

        var object: [String: Any] = ["mode": mode.rawValue, "snapshots": selected.count]
        var lines: [(String, String)] = []
        switch mode {
        case .restoreSize:
            let size = try await statistics.restoreSize(of: roots)
            object.merge(["files": size.files, "directories": size.directories, "others": size.others, "total_size": size.totalSize]) { $1 }
            lines = [
                ("files", "\(size.files)"), ("directories", "\(size.directories)"), ("other entries", "\(size.others)"),
                ("total size", Self.size(size.totalSize)),
            ]
        case .rawData:
            let data = try await statistics.rawData(of: roots)
            object.merge([
                "data_blobs": data.dataBlobs, "tree_blobs": data.treeBlobs, "raw_size": data.rawSize, "stored_size": data.storedSize,
                "compression_ratio": data.compressionRatio ?? NSNull(), "missing_blobs": data.missingBlobs,
            ]) { $1 }
            lines = [
                ("blobs", "\(data.dataBlobs + data.treeBlobs) (\(data.dataBlobs) data, \(data.treeBlobs) tree)"),
                ("raw size", Self.size(data.rawSize)), ("stored size", Self.size(data.storedSize)),
                ("compression", Self.ratio(data.compressionRatio)),
            ]
            if data.missingBlobs > 0 {
                lines.append(("missing blobs", "\(data.missingBlobs) (not in the index: run vault verify)"))
            }
        }
        if let totals {
            object["repository"] = [
                "packs": totals.packs, "pack_size": totals.packSize, "data_blobs": totals.dataBlobs, "tree_blobs": totals.treeBlobs,
                "raw_size": totals.rawSize, "stored_size": totals.storedSize, "compression_ratio": totals.compressionRatio ?? NSNull(),
            ] as [String: Any]
        }
        if json {
            JSONDocument.print(object)
            return
        }
        var output = "\(mode.rawValue) of \(selected.count) snapshot\(selected.count == 1 ? "" : "s"):\n" + Self.block(lines)
        if let totals {
            output += "repository:\n" + Self.block([
                ("packs", "\(totals.packs), \(Self.size(totals.packSize))"),
                ("blobs", "\(totals.dataBlobs + totals.treeBlobs) (\(totals.dataBlobs) data, \(totals.treeBlobs) tree)"),
                ("raw size", Self.size(totals.rawSize)), ("stored size", Self.size(totals.storedSize)),
                ("compression", Self.ratio(totals.compressionRatio)),
            ])
        }
        print(output, terminator: "")
    }

    private static func block(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { "  \($0.0):" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 + "\n" }.joined()
    }

    private static func size(_ bytes: Int64) -> String {
        bytes < 1024 ? "\(bytes) B" : "\(ByteCount.format(bytes)) (\(bytes) bytes)"
    }

    private static func ratio(_ value: Double?) -> String {
        value.map { String(format: "%.2fx", $0) } ?? "-"
    }
}
