import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository

/// `vault find`: finds entries by name across snapshots.
struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find files and directories by name in snapshots.",
        discussion: """
            PATTERN is a shell glob (*, ?, [...]) with the rules of 'vault backup --exclude': a pattern without \
            '/' matches entry names anywhere ('*.jpg', 'notes.txt'); a pattern with '/' matches the whole \
            absolute path, and its '*' also matches '/' ('/home/*/notes.txt'). A leading '.' must be matched \
            explicitly. Several patterns: an entry matches when any does. Quote patterns so the shell does not \
            expand them.

            All snapshots are searched, oldest first, unless --snapshot names some (repeatable; 'latest', an ID \
            or a unique prefix); --host, --tag and --path narrow the snapshots as in 'vault snapshots'.

            One line per match: the snapshot's short ID, the modification time (local time; TZ=UTC for UTC), the \
            size in bytes and the path, escaped as 'vault ls' prints it. Finding nothing is not an error: the \
            exit code is 0 and nothing is printed.

            --json prints one JSON object per match, one per line: "snapshot" (the full ID) and the keys of \
            'vault ls --json'.

            Examples:
              vault find -r /backups '*.pdf'
              vault find -r /backups -i 'readme*' --snapshot latest
              vault find -r /backups '/home/*/.ssh/*' --host laptop --json
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Argument(help: ArgumentHelp("Globs to match names (or, with a '/', paths) against.", valueName: "pattern"))
    var patterns: [String]

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("Search only this snapshot (repeatable).", valueName: "id"))
    var snapshotReferences: [String] = []

    @OptionGroup var filter: SnapshotFilterOptions

    @Flag(name: [.short, .long], help: "Match letters in either case.")
    var ignoreCase = false

    @Flag(help: "Print one JSON object per match, one per line.")
    var json = false

    func validate() throws {
        if patterns.isEmpty {
            throw ValidationError("give at least one pattern")
        }
    }

    func run() async throws {
        let globs = try patterns.map { text throws(OperationError) in try GlobPattern(text, ignoresCase: ignoreCase) }
        let references = try snapshotReferences.map { text throws(OperationError) in try SnapshotReference(parsing: text) }
        let opened = try await repository.openRepository()
        let filter = self.filter.filter
        let json = self.json
        try await opened.withLock(locking.policy) {
            try await Self.search(globs, references: references, filter: filter, in: opened, json: json)
        }
    }

    private static func search(
        _ globs: [GlobPattern], references: [SnapshotReference], filter: SnapshotFilter, in opened: Repository, json: Bool
    ) async throws {
        let catalog = try await opened.snapshotCatalog()
        DamagedSnapshotWarning.emit(for: catalog)
        let damaged = catalog.damaged.map(\.id)
        var selected = filter.apply(to: catalog.readable)
        if !references.isEmpty {
            var seen = Set<String>()
            selected = try references.map { reference throws(OperationError) in try reference.resolve(in: selected, damaged: damaged) }
                .filter { seen.insert($0.id.hex).inserted }
        }
        let trees = TreeCache(repository: opened, index: try await opened.loadIndex().chunks)
        let search = SnapshotSearch(patterns: globs, trees: trees)
        for snapshot in selected {
            let id = snapshot.id
            try await search.search(root: snapshot.manifest.tree) { entry in
                if json {
                    var object = entry.jsonObject
                    object["snapshot"] = id.hex
                    JSONLines.print(object)
                } else {
                    let size = String(entry.node.size)
                    print("\(id.shortHex)  \(DisplayTime.format(entry.node.mtime, in: .local))  "
                        + String(repeating: " ", count: max(0, 12 - size.count)) + size + "  " + entry.printablePath)
                }
            }
        }
    }
}
