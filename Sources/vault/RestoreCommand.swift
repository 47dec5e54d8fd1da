import ArgumentParser
import Foundation
import Synchronization
import VaultOperations
import VaultRepository

extension OverwritePolicy: ExpressibleByArgument {}

/// `vault restore`: writes a snapshot into a directory.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a snapshot, or part of one, into a directory.",
        discussion: """
            Entries keep their absolute paths under the target: /home/ada/x becomes TARGET/home/ada/x. With \
            --snapshot ID:PATH the contents of PATH go straight into the target (latest:/home/ada puts \
            /home/ada/x at TARGET/x). Contents, permissions, times, symbolic links, hard links, fifos and \
            extended attributes are restored; ownership and devices only when run as root. Nothing is written \
            outside the target: no symbolic link there is followed. Where an entry may already stand, a file is written \
            under a temporary name and renamed into place when complete, so an interrupted restore never leaves a \
            partial file where a good one stood; resume it with --overwrite if-changed. \
            A directory whose contents cannot be read from the repository is left untouched and named. \
            --dry-run prints what would be written, replaced and deleted, and changes nothing. \
            Exit code 1 means some entries could not be restored (each is named) or --verify found a difference.
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Option(help: ArgumentHelp("The snapshot: an ID, a unique prefix of one, 'latest' or 'last-clean', optionally followed by :PATH.", valueName: "id[:path]"))
    var snapshot: String?

    @Option(help: ArgumentHelp("The directory to restore into (created when missing).", valueName: "dir"))
    var target: String?

    @Option(name: .customLong("include"), help: ArgumentHelp("Restore only entries matching a glob, and what is below them; with a '/' it matches the whole snapshot path (repeatable).", valueName: "pattern"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave out entries matching a glob, and what is below them (repeatable).", valueName: "pattern"))
    var excludes: [String] = []

    @Option(help: ArgumentHelp("What to do with entries that exist in the target: always (replace), if-changed (replace unless size and modification time match), never (keep).", valueName: "when"))
    var overwrite: OverwritePolicy = .always

    @Flag(name: .customLong("delete"), help: "Remove entries of restored directories that are not in the snapshot.")
    var deletesExtraneous = false

    @Flag(name: .customLong("verify"), help: "Read the restored files back and check every chunk against the snapshot.")
    var verifies = false

    @Flag(name: .customLong("dry-run"), help: "Print what would be written, replaced and deleted; change nothing.")
    var isDryRun = false

    func run() async throws {
        guard let snapshot else {
            throw OperationError(.invalidArgument, "missing --snapshot: give a snapshot ID, a prefix of one, or 'latest'")
        }
        guard let target, !target.isEmpty else {
            throw OperationError(.invalidArgument, "missing --target: give the directory to restore into")
        }
        var options = RestoreOptions(snapshot: try SnapshotReference(parsing: snapshot), target: target)
        for pattern in includes {
            try options.selection.include(pattern)
        }
        for pattern in excludes {
            try options.selection.exclude(pattern)
        }
        options.overwrite = overwrite
        options.deletesExtraneous = deletesExtraneous
        options.verifies = verifies
        options.isDryRun = isDryRun

        let opened = try await repository.openRepository()
        let interrupt = InterruptHandler.install()
        let reporter = RestoreReporter()
        var restore = Restore(repository: opened, options: options, interrupt: interrupt) { reporter.progress($0) }
        restore.locking = locking.policy
        let result = try await restore.run()
        DamagedSnapshotWarning.emit(for: result.damagedSnapshotsLeftOut)
        reporter.finish(result)
        if !result.isComplete {
            throw ExitCode(.failure)
        }
    }
}

/// Shows a restore's progress on a terminal's standard error, and its
/// outcome: each problem on standard error, a summary on standard output.
final class RestoreReporter: Sendable {
    private let showsProgress = StandardError.isTerminal
    private let lastLineLength = Mutex(0)

    /// Reports progress (at most ten times a second, the writer throttles).
    func progress(_ progress: RestoreProgress) {
        guard showsProgress else { return }
        let seconds = max(Double(progress.elapsedNanoseconds) / 1e9, 0.001)
        let rate = Int64(Double(progress.bytesDone) / seconds)
        let line = "\(progress.filesDone) of \(progress.filesTotal) files, \(ByteCount.format(progress.bytesDone)) of "
            + "\(ByteCount.format(progress.bytesTotal)) at \(ByteCount.format(rate))/s"
        let padding = lastLineLength.withLock { last in
            defer { last = line.count }
            return max(0, last - line.count)
        }
        FileHandle.standardError.write(Data(("\r" + line + String(repeating: " ", count: padding)).utf8))
    }

    /// Reports the outcome.
    func finish(_ result: RestoreResult) {
        if showsProgress {
            let length = lastLineLength.withLock { $0 }
            if length > 0 {
                FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: length) + "\r").utf8))
            }
        }
        for problem in result.problems {
            StandardError.line("vault: error: \(problem.message)")
        }
        for mismatch in result.verification?.mismatches ?? [] {
            StandardError.line("vault: error: \(mismatch.message)")
        }
        if let preview = result.preview {
            finishDryRun(result, preview)
            return
        }
        let summary = result.summary
        let seconds = Double(result.elapsedNanoseconds) / 1e9
        var lines = [
            "restored snapshot \(result.snapshotID.shortHex) to \(result.target) in \(String(format: "%.2f", seconds)) s",
            "files: \(summary.filesRestored) written (\(ByteCount.format(summary.bytesRestored))), \(summary.filesUnchanged) unchanged, "
                + "\(summary.hardLinks) hard links; \(summary.directories) directories, \(summary.symbolicLinks) symbolic links, "
                + "\(summary.specialFiles) fifos, sockets and devices",
        ]
        if summary.entriesKept > 0 {
            lines.append("kept \(summary.entriesKept) existing entries (--overwrite never)")
        }
        if summary.entriesDeleted > 0 {
            lines.append("deleted \(summary.entriesDeleted) entries not in the snapshot")
        }
        if summary.devicesSkipped > 0 {
            lines.append("skipped \(summary.devicesSkipped) device files: creating them needs root")
        }
        if let verification = result.verification {
            lines.append("verified \(verification.files) files (\(ByteCount.format(verification.bytes))): "
                + (verification.mismatches.isEmpty ? "all match the snapshot" : "\(verification.mismatches.count) differ"))
        }
        if !result.problems.isEmpty {
            lines.append("\(result.problems.count) entries could not be restored completely")
        }
        print(lines.joined(separator: "\n"))
    }

    /// Reports a dry run: one line per entry that would change, then a summary.
    private func finishDryRun(_ result: RestoreResult, _ preview: RestorePreview) {
        var lines = preview.items.map(\.line)
        lines.append(
            "dry run of snapshot \(result.snapshotID.shortHex) to \(result.target): would write \(preview.count(.write)) entries, "
                + "replace \(preview.count(.replace)) (\(ByteCount.format(preview.bytesToWrite)) of file contents), "
                + "delete \(preview.entriesDeleted) entries not in the snapshot; \(result.summary.filesUnchanged) files unchanged; nothing was changed")
        if !result.problems.isEmpty {
            lines.append("\(result.problems.count) entries could not be restored completely")
        }
        print(lines.joined(separator: "\n"))
    }
}
