import ArgumentParser
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault prune`: removes the data no snapshot uses.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove the data no snapshot uses (after 'vault forget').",
        discussion: """
            Marks every blob the snapshots reach (their trees and the chunks the trees name), then plans: \
            packs holding no used blob are deleted; packs whose unused share is largest are repacked (their \
            used blobs copied, as stored, into new packs) while the unused space left exceeds --max-unused; \
            packs no index names and stale temporary files are deleted; a blob stored twice keeps one copy.

            The order keeps the repository whole at every instant, so prune may be killed at any time and \
            simply run again: new packs are written, then new index files that replace the old ones, then \
            the old index files and the unused packs are deleted (docs/format.md, "Prune").

            prune holds the exclusive lock: while a backup (or any other command) holds a lock, prune \
            refuses with exit 11 naming the holder, and a backup started during prune refuses likewise.

            When packs are missing or damaged, prune changes nothing and names the snapshots affected; \
            --ignore-damaged proceeds, keeping everything it cannot prove unused.

            Output: 'removed N snapshots; deleted P packs (X MiB), repacked Q packs (Y MiB), repository \
            A → B MiB' (pack files only). --dry-run prints the plan and changes nothing.
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var prune: PruneOptionGroup

    @Flag(help: "Print the report as one JSON object instead of text.")
    var json = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let report = try await Self.runPrune(opened, options: prune.options, removedSnapshots: 0, excluded: [])
        if json {
            JSONDocument.print(Self.jsonObject(report))
        } else {
            Self.printText(report)
        }
    }

    /// Runs a prune.
    static func runPrune(_ repository: Repository, options: PruneOptions, removedSnapshots: Int, excluded: Set<SnapshotID>) async throws -> PruneReport {
        var prune = RepositoryPrune(repository: repository, options: options, interrupt: InterruptHandler.install())
        prune.excludedSnapshots = excluded
        return try await prune.run(removedSnapshots: removedSnapshots)
    }

    /// The plan's details (with --dry-run, or when something is unusual), then the summary line.
    static func printText(_ report: PruneReport) {
        for line in planLines(report) {
            print(line)
        }
        print(report.summaryLine)
    }

    /// The report as JSON: every figure, in bytes.
    static func jsonObject(_ report: PruneReport) -> [String: Any] {
        [
            "dryRun": report.dryRun, "removedSnapshots": report.removedSnapshots,
            "deletedPacks": report.deletedPacks, "deletedBytes": report.deletedBytes,
            "deletedUnindexedPacks": report.deletedUnindexedPacks, "deletedUnindexedBytes": report.deletedUnindexedBytes,
            "repackedPacks": report.repackedPacks, "repackedBytes": report.repackedBytes,
            "writtenPacks": report.writtenPacks, "writtenBytes": report.writtenBytes, "keptPacks": report.keptPacks, "keptBytes": report.keptBytes,
            "indexFilesWritten": report.indexFilesWritten, "indexFilesRemoved": report.indexFilesRemoved,
            "sizeBefore": report.sizeBefore, "sizeAfter": report.sizeAfter,
            "usedBytes": report.usedBytes, "unusedBytesAfter": report.unusedBytesAfter,
            "damagedPacksKept": report.damagedPacksKept, "unindexedPacksKept": report.unindexedPacksKept,
            "affectedSnapshots": report.affectedSnapshots.map(\.hex), "summary": report.summaryLine,
        ]
    }

    /// The plan's details: shown with --dry-run, and whenever something is unusual.
    static func planLines(_ report: PruneReport) -> [String] {
        var lines: [String] = []
        if report.dryRun {
            lines.append("plan: keep \(report.keptPacks) packs (\(ByteCount.format(report.keptBytes))), delete \(report.deletedPacks) packs (\(ByteCount.format(report.deletedBytes))) "
                + "and \(report.deletedUnindexedPacks) unindexed (\(ByteCount.format(report.deletedUnindexedBytes))), "
                + "repack \(report.repackedPacks) packs (\(ByteCount.format(report.repackedBytes)))")
            lines.append("used data \(ByteCount.format(report.usedBytes)), unused data left \(ByteCount.format(report.unusedBytesAfter))")
        }
        if report.unindexedPacksKept > 0 {
            lines.append("kept \(report.unindexedPacksKept) unindexed packs (younger than the safety margin, or the repository is damaged)")
        }
        if report.damagedPacksKept > 0 || !report.affectedSnapshots.isEmpty {
            lines.append("kept \(report.damagedPacksKept) missing or damaged packs; affected snapshots: "
                + report.affectedSnapshots.map(\.shortHex).joined(separator: ", "))
        }
        return lines
    }
}

/// The options `prune` and `forget --prune` share.
struct PruneOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Unused space allowed to stay in packs: a percentage of the repository (5%), a size (100M), or 'unlimited'.", valueName: "limit"))
    var maxUnused = "5%"

    @Option(help: ArgumentHelp("Repack at most this much in one run (e.g. 1G).", valueName: "size"))
    var maxRepackSize: String?

    @Flag(help: "Prune although packs are missing or damaged, keeping everything that cannot be proved unused.")
    var ignoreDamaged = false

    @Flag(help: "Only print what would be done.")
    var dryRun = false

    func validate() throws {
        guard PruneOptions.MaximumUnused(maxUnused, parseSize: ByteCount.parse) != nil else {
            throw ValidationError("--max-unused takes a percentage (5%), a size (100M) or 'unlimited', not '\(maxUnused)'")
        }
        if let maxRepackSize, ByteCount.parse(maxRepackSize) == nil {
            throw ValidationError("--max-repack-size takes a size such as 500M or 2G, not '\(maxRepackSize)'")
        }
    }

    var options: PruneOptions {
        var options = PruneOptions()
        options.maximumUnused = PruneOptions.MaximumUnused(maxUnused, parseSize: ByteCount.parse) ?? .percent(5)
        options.maximumRepackSize = maxRepackSize.flatMap(ByteCount.parse).map(Int64.init)
        options.ignoreDamaged = ignoreDamaged
        options.dryRun = dryRun
        return options
    }
}
