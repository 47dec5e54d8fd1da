import Foundation
import VaultCodecs
import VaultOperations
import VaultRepository

/// How `vault backup` reports a ransomware alarm: warning lines on
/// standard error, and an object in the `--json` summary.
enum RansomwareReport {
    /// The warning lines, without the `vault: warning: ` prefix.
    static func lines(_ alarm: RansomwareAlarm, snapshotID: SnapshotID) -> [String] {
        let suspicion = alarm.suspicion
        var signs = [
            "\(suspicion.becameIncompressible) no longer compress",
            "\(suspicion.signatureMismatches) no longer match their extension",
        ]
        if suspicion.renamed > 0 {
            signs.append("\(suspicion.renamed) renamed to " + suspicion.renamedTo.map { "." + $0 }.joined(separator: ", "))
        }
        var lines = [
            "snapshot \(snapshotID.shortHex) is SUSPECT: the files look encrypted by ransomware: \(suspicion.filesSuspicious) of "
                + "\(suspicion.filesExamined) new or changed files (threshold \(alarm.threshold)): " + signs.joined(separator: ", "),
            "for example:",
        ]
        lines += suspicion.examples.map { "  " + $0 }
        if let clean = alarm.previousClean {
            lines.append(
                "the previous clean snapshot is \(clean.id.shortHex) of \(DisplayTime.format(clean.manifest.time, in: .local)); "
                    + "restore it with: vault restore --snapshot last-clean --target DIR"
            )
        } else {
            lines.append("there is no earlier clean snapshot of these paths on this host")
        }
        lines.append("check these files; if they are fine, this was a false alarm (see README, \"If ransomware strikes\")")
        return lines
    }

    /// The `suspect` object of the `--json` summary.
    static func jsonObject(_ alarm: RansomwareAlarm) -> [String: Any] {
        let suspicion = alarm.suspicion
        return [
            "files_examined": suspicion.filesExamined, "files_suspicious": suspicion.filesSuspicious,
            "became_incompressible": suspicion.becameIncompressible, "signature_mismatches": suspicion.signatureMismatches,
            "renamed": suspicion.renamed, "renamed_to": suspicion.renamedTo, "examples": suspicion.examples,
            "threshold": alarm.threshold.description, "previous_clean": alarm.previousClean?.id.hex ?? NSNull(),
        ]
    }
}
