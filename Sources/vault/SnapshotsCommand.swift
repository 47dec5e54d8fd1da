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
            and Tags. An incomplete snapshot (some files could not be read) has Kind followed by '!'; a snapshot \
            suspect of capturing a ransomware attack has Kind followed by ' SUSPECT'; a differential snapshot \
            whose full base snapshot was forgotten shows '(base gone)' (it still restores on its own).

            --clean lists only the newest clean snapshot of each host and path set: the newest one that is not \
            suspect and precedes the newest suspect one (with no suspect snapshot, the newest one). \
            'vault restore --snapshot last-clean' restores it.

            Filters combine: --host, --tag and --path may each be repeated; a snapshot is listed when its host is \
            one of the --host values, it has at least one of the --tag values, and it includes every --path. \
            --kind lists one kind only (full, incremental, differential, or sync: the snapshots 'vault sync' \
            writes, whose Kind column reads 'sync head', 'sync base' or 'sync local'); --name SET lists the \
            history of one sync set.

            --json prints one JSON array with an object per snapshot: every field of the manifest \
            (docs/format.md, "Snapshots") plus "id", the full 64-digit ID.

            A damaged snapshot file is listed with Kind 'damaged' (and named on standard error); every other \
            snapshot is listed as usual, and the exit status is then 4. 'vault repair snapshots --forget-damaged' \
            removes damaged snapshot files.

            Examples:
              vault snapshots -r /backups
              vault snapshots -r /backups --host laptop --tag daily --tag weekly
              vault snapshots -r /backups --path /home/ada --json
              vault snapshots -r /backups --clean
              vault snapshots -r /backups --kind sync --name docs
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filter: SnapshotFilterOptions
    @OptionGroup var locking: LockOptions

    @Option(help: ArgumentHelp("List only snapshots of this kind: full, incremental, differential or sync.", valueName: "kind"))
    var kind: SnapshotListKind?

    @Option(help: ArgumentHelp("List only the snapshots of this sync set (implies --kind sync).", valueName: "set"))
    var name: String?

    @Flag(help: "Print a JSON array of the snapshots instead of a table.")
    var json = false

    @Flag(help: "List only the newest clean snapshot of each host and path set.")
    var clean = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let filter = self.filter.filter
        let json = self.json
        let clean = self.clean
        let kind = name == nil ? self.kind : .sync
        let name = self.name
        if let kind = self.kind, kind != .sync, name != nil {
            throw ValidationError("--name selects a sync set: it goes with --kind sync only")
        }
        try await opened.withLock(locking.policy) {
            let catalog = try await opened.snapshotCatalog()
            let all = catalog.readable
            var snapshots = filter.apply(to: all).filter { kind?.matches($0.manifest) ?? true }
            if let name {
                snapshots = snapshots.filter { $0.manifest.sync?.set == name }
            }
            if clean {
                snapshots = CleanSnapshots.newestClean(in: snapshots)
            }
            if json {
                JSONDocument.print(try snapshots.map(Self.jsonObject))
            } else {
                Self.printTable(snapshots, existing: Set(all.map(\.id)), damaged: catalog.damaged.map(\.id))
            }
            guard catalog.damaged.isEmpty else {
                for (id, error) in catalog.damaged {
                    StandardError.line("vault: snapshot \(id.shortHex): \(error.message); 'vault repair snapshots --forget-damaged' removes it")
                }
                throw ExitCode(.damageFound)
            }
        }
    }

    /// A snapshot as JSON: the manifest's fields and its ID.
    static func jsonObject(_ snapshot: (id: SnapshotID, manifest: SnapshotManifest)) throws -> [String: Any] {
        let encoded = try JSONEncoder().encode(snapshot.manifest)
        var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] ?? [:]
        object["id"] = snapshot.id.hex
        return object
    }

    /// - Parameters:
    ///   - existing: Every snapshot's ID, to mark a differential whose base
    ///     was forgotten (`differential (base gone)`).
    ///   - damaged: Snapshots that could not be read, counted in the footer.
    static func printTable(
        _ snapshots: [(id: SnapshotID, manifest: SnapshotManifest)], existing: Set<SnapshotID>? = nil, damaged: [SnapshotID] = []
    ) {
        var rows = [["ID", "Time", "Host", "Kind", "Parent", "Paths", "Size", "Tags"]]
        for (id, manifest) in snapshots {
            rows.append([
                id.shortHex, DisplayTime.format(manifest.time, in: .local), Self.printable(manifest.host),
                (manifest.sync.map { "sync \($0.role.rawValue)" } ?? manifest.kind.rawValue) + (manifest.incomplete ? "!" : "") + (manifest.suspect != nil ? " SUSPECT" : "")
                    + (manifest.kind == .differential && manifest.base.map { existing?.contains($0) == false } == true ? " (base gone)" : ""),
                manifest.parent?.shortHex ?? "",
                manifest.paths.map(Self.printable).joined(separator: ", "), ByteCount.format(manifest.summary.bytesTotal),
                manifest.tags.map(Self.printable).joined(separator: ","),
            ])
        }
        for id in damaged.sorted() {
            rows.append([id.shortHex, "", "", "damaged", "", "", "", ""])
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
        output += "\(snapshots.count) snapshot\(snapshots.count == 1 ? "" : "s")\(damaged.isEmpty ? "" : ", \(damaged.count) damaged")\n"
        let suspect = snapshots.count { $0.manifest.suspect != nil }
        if suspect > 0 {
            output += "\(suspect) suspect (files looked encrypted by ransomware): vault snapshots --clean lists the last clean ones\n"
        }
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

/// The kinds `vault snapshots --kind` selects.
enum SnapshotListKind: String, CaseIterable, ExpressibleByArgument {
    case full, incremental, differential, sync

    /// Whether a snapshot is of this kind (a sync snapshot is only `sync`).
    func matches(_ manifest: SnapshotManifest) -> Bool {
        if self == .sync { return manifest.sync != nil }
        return manifest.sync == nil && manifest.kind.rawValue == rawValue
    }
}
