import VaultCodecs
import VaultRepository

/// What `verify` looked at.
package struct VerifyStatistics: Sendable, Hashable {
    /// Key files checked.
    package var keyFiles = 0
    /// Index files read.
    package var indexFiles = 0
    /// Packs the index names.
    package var packs = 0
    /// Packs in the storage that no index names.
    package var unindexedPacks = 0
    /// Packs read whole (`--read-data`).
    package var packsRead = 0
    /// Bytes of packs read whole.
    package var bytesRead: Int64 = 0
    /// Blobs decoded and checked against their IDs while reading packs.
    package var blobsRead = 0
    /// Snapshots read.
    package var snapshots = 0
    /// Distinct tree blobs read.
    package var trees = 0

    /// Creates empty statistics.
    package init() {}
}

/// Everything `verify` found: damage, notes, and the files that are lost.
package struct VerifyReport: Sendable {
    /// Errors and notes, in the order `verify` found them: keys, index
    /// files, packs (by ID), snapshots, trees.
    package var findings: [VerifyFinding] = []
    /// The files and directories that snapshots can no longer restore, by
    /// snapshot (oldest first), then in path order.
    package var affected: [VerifyAffectedPath] = []
    /// Snapshots whose own file is damaged, so their files cannot even be listed.
    package var unreadableSnapshots: [SnapshotID] = []
    /// What was looked at.
    package var statistics = VerifyStatistics()

    /// Creates an empty report.
    package init() {}

    /// The findings that are damage.
    package var problems: [VerifyFinding] { findings.filter { $0.severity == .error } }

    /// The findings that are only notes.
    package var notes: [VerifyFinding] { findings.filter { $0.severity == .note } }

    /// Whether anything is damaged or missing.
    package var hasDamage: Bool { findings.contains { $0.severity == .error } }

    /// The snapshots that lost files.
    package var affectedSnapshots: Set<SnapshotID> { Set(affected.map(\.snapshot)) }

    /// `no errors were found` or `3 problems found; 2 files in 1 snapshot affected`,
    /// followed by what was checked.
    package var summary: String {
        let problemCount = problems.count
        var text: String
        if problemCount == 0 {
            text = "no errors were found"
        } else {
            text = "\(Self.count(problemCount, "problem")) found; "
            let files = affected.filter { !$0.isDirectory }.count
            let directories = affected.count - files
            if affected.isEmpty {
                text += "no files affected"
            } else {
                var parts: [String] = []
                if files > 0 { parts.append(Self.count(files, "file")) }
                if directories > 0 { parts.append(Self.count(directories, "directory", "directories") + " (with everything below them)") }
                text += parts.joined(separator: " and ") + " in \(Self.count(affectedSnapshots.count, "snapshot")) affected"
            }
            if !unreadableSnapshots.isEmpty {
                text += "; \(Self.count(unreadableSnapshots.count, "snapshot")) unreadable"
            }
        }
        let checked = statistics
        text += " (checked \(Self.count(checked.snapshots, "snapshot")), \(Self.count(checked.trees, "tree")), \(Self.count(checked.packs, "pack")); "
        text += checked.packsRead == 0 ? "read no pack data)" : "read \(Self.count(checked.packsRead, "pack")), \(Self.byteCount(checked.bytesRead)))"
        return text
    }

    private static func count(_ value: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(value) \(value == 1 ? singular : plural ?? singular + "s")"
    }

    private static func byteCount(_ bytes: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
