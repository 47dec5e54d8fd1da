import ArgumentParser
import Foundation
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault snapshots`: lists snapshots.
struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List the snapshots in the repository, oldest first.",
        discussion: """
            Columns: ID (the first 8 hex digits; any unique prefix names a snapshot), Time (when the backup \
            started, in local time: set TZ=UTC for UTC), Host, Kind (full, incremental or differential), Parent \
            (the snapshot unchanged files were taken from), Paths, Size (the total size of the snapshot's files) \
            and Tags. An incomplete snapshot (some files could not be read) has Kind followed by '!'.

            Filters combine: --host, --tag and --path may each be repeated; a snapshot is listed when its host is \
            one of the --host values, it has at least one of the --tag values, and it includes every --path.

            --json prints one JSON array with an object per snapshot: every field of the manifest \
            (docs/format.md, "Snapshots") plus "id", the full 64-digit ID.

            Examples:
              vault snapshots -r /backups
              vault snapshots -r /backups --host laptop --tag daily --tag weekly
              vault snapshots -r /backups --path /home/ada --json
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filter: SnapshotFilterOptions
    @OptionGroup var locking: LockOptions

    @Flag(help: "Print a JSON array of the snapshots instead of a table.")
    var json = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let filter = self.filter.filter
        let json = self.json
        try await opened.withLock(locking.policy) {
            let snapshots = filter.apply(to: try await opened.snapshots())
            if json {
                JSONDocument.print(try snapshots.map(Self.jsonObject))
                return
            }
            Self.printTable(snapshots)
        }
    }

    /// A snapshot as JSON: the manifest's fields and its ID.
    static func jsonObject(_ snapshot: (id: Digest256, manifest: SnapshotManifest)) throws -> [String: Any] {
        let encoded = try JSONEncoder().encode(snapshot.manifest)
        var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] ?? [:]
        object["id"] = snapshot.id.hex
        return object
    }

    static func printTable(_ snapshots: [(id: Digest256, manifest: SnapshotManifest)]) {
        var rows = [["ID", "Time", "Host", "Kind", "Parent", "Paths", "Size", "Tags"]]
        for (id, manifest) in snapshots {
            rows.append([
                id.shortHex, DisplayTime.format(manifest.time, in: .local), Self.printable(manifest.host),
                manifest.kind.rawValue + (manifest.incomplete ? "!" : ""), manifest.parent?.shortHex ?? "",
                manifest.paths.map(Self.printable).joined(separator: ", "), ByteCount.format(manifest.summary.bytesTotal),
                manifest.tags.map(Self.printable).joined(separator: ","),
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var output = ""
        for (index, row) in rows.enumerated() {
            output += Self.line(row, widths: widths)
            if index == 0 {
                output += Self.line(widths.map { String(repeating: "-", count: $0) }, widths: widths)
            }
        }
        output += "\(snapshots.count) snapshot\(snapshots.count == 1 ? "" : "s")\n"
        print(output, terminator: "")
    }

    /// A host, path or tag from the repository, escaped as `vault ls` escapes paths.
    private static func printable(_ text: String) -> String {
        PrintablePath.escape(Array(text.utf8))
    }

    private static func line(_ cells: [String], widths: [Int]) -> String {
        var text = ""
        for (column, cell) in cells.enumerated() {
            let isLast = column == cells.count - 1
            text += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
        }
        while text.hasSuffix(" ") { text.removeLast() }
        return text + "\n"
    }
}

/// `--host`, `--tag` and `--path`: which snapshots `snapshots` and `find` consider.
struct SnapshotFilterOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: ArgumentHelp("Only snapshots of this host (repeatable: any of them).", valueName: "host"))
    var hosts: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only snapshots with this tag (repeatable: any of them).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customLong("path"), help: ArgumentHelp("Only snapshots that include this backed-up path (repeatable: all of them).", valueName: "path"))
    var paths: [String] = []

    /// The filter; relative paths start from the current directory.
    var filter: SnapshotFilter {
        SnapshotFilter(hosts: hosts, tags: tags, paths: paths, workingDirectory: Array(FileManager.default.currentDirectoryPath.utf8))
    }
}

/// Prints one JSON document on standard output.
enum JSONDocument {
    static func print(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
