import Foundation
import Synchronization
import VaultOperations
import VaultRepository

/// Shows a backup's progress and outcome: a live line on a terminal's
/// standard error, a summary on standard output, or JSON lines with `--json`.
final class BackupReporter: Sendable {
    private let json: Bool
    private let showsProgress: Bool
    private let lastLineLength = Mutex(0)

    init(json: Bool) {
        self.json = json
        self.showsProgress = StandardError.isTerminal
    }

    /// Reports progress (at most ten times a second, the archiver throttles).
    func progress(_ progress: BackupProgress) {
        if json {
            JSONLines.print([
                "message_type": "status", "entries": progress.entries, "files_read": progress.filesRead,
                "bytes_read": progress.bytesRead, "bytes_processed": progress.bytesProcessed,
                "seconds_elapsed": Double(progress.elapsedNanoseconds) / 1e9, "current_path": progress.currentPath,
            ])
            return
        }
        guard showsProgress else { return }
        let seconds = max(Double(progress.elapsedNanoseconds) / 1e9, 0.001)
        let rate = Int64(Double(progress.bytesRead) / seconds)
        var line = "\(progress.entries) entries, \(ByteCount.format(progress.bytesProcessed)) processed, "
            + "\(ByteCount.format(progress.bytesRead)) read at \(ByteCount.format(rate))/s  \(progress.currentPath)"
        if line.count > 120 {
            line = String(line.prefix(117)) + "..."
        }
        let padding = lastLineLength.withLock { last in
            defer { last = line.count }
            return max(0, last - line.count)
        }
        FileHandle.standardError.write(Data(("\r" + line + String(repeating: " ", count: padding)).utf8))
    }

    /// Reports the outcome.
    func finish(_ result: BackupResult) {
        if showsProgress && !json {
            let length = lastLineLength.withLock { $0 }
            FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: length) + "\r").utf8))
        }
        if let note = result.note {
            StandardError.line("vault: \(note)")
        }
        for warning in result.warnings {
            StandardError.line("vault: warning: \(warning.message)")
        }
        for line in result.ransomwareAlarm.map({ RansomwareReport.lines($0, snapshotID: result.snapshotID) }) ?? [] {
            StandardError.line("vault: warning: \(line)")
        }
        let manifest = result.manifest
        let summary = manifest.summary
        let seconds = Double(result.elapsedNanoseconds) / 1e9
        if json {
            JSONLines.print([
                "message_type": "summary", "snapshot_id": result.snapshotID.hex, "kind": manifest.kind.rawValue,
                "requested_kind": result.requestedKind.rawValue, "parent": manifest.parent?.hex ?? NSNull(),
                "base": manifest.base?.hex ?? NSNull(), "files_new": summary.filesNew, "files_changed": summary.filesChanged,
                "files_unchanged": summary.filesUnchanged, "files_removed": summary.filesRemoved, "directories": summary.directories,
                "bytes_read": summary.bytesRead, "bytes_total": summary.bytesTotal, "bytes_added": summary.bytesAdded,
                "blobs_added": summary.blobsAdded, "incomplete": manifest.incomplete, "warnings": result.warnings.count,
                "seconds": seconds, "suspect": result.ransomwareAlarm.map(RansomwareReport.jsonObject) ?? NSNull(),
            ])
            return
        }
        print("""
            snapshot \(result.snapshotID.shortHex) saved (\(manifest.kind.rawValue)\(manifest.parent.map { ", parent \($0.shortHex)" } ?? ""))
            files: \(summary.filesNew) new, \(summary.filesChanged) changed, \(summary.filesUnchanged) unchanged, \(summary.filesRemoved) removed
            read \(ByteCount.format(summary.bytesRead)) of \(ByteCount.format(summary.bytesTotal)), added \(ByteCount.format(summary.bytesAdded)) to the repository in \(String(format: "%.2f", seconds)) s
            """)
        if manifest.incomplete {
            print("the snapshot is incomplete: \(result.warnings.filter { $0.kind.makesSnapshotIncomplete }.count) paths could not be read or recorded exactly")
        }
    }
}

/// Prints one JSON object per line on standard output.
enum JSONLines {
    static func print(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
