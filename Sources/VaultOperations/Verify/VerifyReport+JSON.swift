import VaultCodecs

extension VerifyReport {
    /// The report as newline-delimited JSON (`verify --json`): one object
    /// per finding, one per affected path, then one summary object.
    ///
    /// IDs are full 64-digit hex. Every object has a `type`: `error`,
    /// `note`, `affected` or `summary`.
    package var jsonLines: [String] {
        var lines: [String] = []
        lines.reserveCapacity(findings.count + affected.count + 1)
        for finding in findings {
            var object = JSONLine()
            object.add("type", finding.severity.rawValue)
            object.add("kind", finding.kind.rawValue)
            object.add("object", finding.object.kindName)
            if let id = finding.object.id { object.add("id", id.hex) }
            if case .blob(_, _, let pack?) = finding.object { object.add("pack", pack.hex) }
            object.add("message", finding.message)
            lines.append(object.text)
        }
        for entry in affected {
            var object = JSONLine()
            object.add("type", "affected")
            object.add("snapshot", entry.snapshot.hex)
            object.add("path", entry.path)
            object.add("entry", entry.isDirectory ? "directory" : "file")
            object.add("blob", entry.loss.blob.hex)
            object.add("blobType", entry.loss.type.verifyName)
            if let pack = entry.loss.pack { object.add("pack", pack.hex) }
            object.add("reason", entry.loss.reason)
            object.add("otherLostChunks", entry.otherLostChunks)
            lines.append(object.text)
        }
        let files = affected.filter { !$0.isDirectory }.count
        var summary = JSONLine()
        summary.add("type", "summary")
        summary.add("status", hasDamage ? "damaged" : "clean")
        summary.add("problems", problems.count)
        summary.add("notes", notes.count)
        summary.add("affectedFiles", files)
        summary.add("affectedDirectories", affected.count - files)
        summary.add("affectedSnapshots", affectedSnapshots.count)
        summary.add("unreadableSnapshots", unreadableSnapshots.count)
        summary.add("keyFiles", statistics.keyFiles)
        summary.add("indexFiles", statistics.indexFiles)
        summary.add("snapshots", statistics.snapshots)
        summary.add("trees", statistics.trees)
        summary.add("packs", statistics.packs)
        summary.add("unindexedPacks", statistics.unindexedPacks)
        summary.add("packsRead", statistics.packsRead)
        summary.add("bytesRead", statistics.bytesRead)
        summary.add("blobsRead", statistics.blobsRead)
        lines.append(summary.text)
        return lines
    }
}

/// One JSON object on one line, members in the order added.
private struct JSONLine {
    private var body = "{"

    mutating func add(_ key: String, _ value: String) {
        member(key)
        Self.appendString(value, to: &body)
    }

    mutating func add(_ key: String, _ value: some BinaryInteger) {
        member(key)
        body += "\(value)"
    }

    private mutating func member(_ key: String) {
        if body.utf8.count > 1 { body += "," }
        Self.appendString(key, to: &body)
        body += ":"
    }

    /// Appends a JSON string literal (RFC 8259 §7).
    private static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// The finished object.
    var text: String { body + "}" }
}
