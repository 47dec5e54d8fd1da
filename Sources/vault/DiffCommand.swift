import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository

/// `vault diff`: what changed between two snapshots.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two snapshots.",
        discussion: """
            Each snapshot is 'latest', an ID or a unique prefix of one, optionally followed by ':PATH' to compare \
            one directory (or file) of each. One line per change, in path order, then a summary line:

              +  added: only in the second snapshot
              -  removed: only in the first snapshot
              M  modified: file contents (chunk list), symlink target or device
              T  type changed: e.g. a file became a directory
              U  metadata only: mode, owner, group, mtime or xattrs (--metadata)

            Directories end with '/'. Inside an added or removed directory every entry is listed. Paths are those \
            of the second snapshot, escaped as 'vault ls' prints them. Two identical snapshots print only the \
            summary line ('0 added, 0 removed, 0 modified, 0 type changed').

            The comparison reads only directories whose contents differ: subtrees with the same tree ID are \
            skipped unread.

            --json prints JSON lines: {"message_type": "change", "change": "+", "path": …, "type": …} per change \
            (with path_bytes in base64 when the path is not valid UTF-8), then {"message_type": "summary", \
            "added": …, "removed": …, "modified": …, "type_changed": …, "metadata_changed": …}.

            Examples:
              vault diff -r /backups 3f2a9c1e latest
              vault diff -r /backups 3f2a:/home/ada/src latest:/home/ada/src --metadata
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Argument(help: ArgumentHelp("The first (older) snapshot, optionally with a path inside it.", valueName: "snapshot1[:path]"))
    var first: String

    @Argument(help: ArgumentHelp("The second (newer) snapshot, optionally with a path inside it.", valueName: "snapshot2[:path]"))
    var second: String

    @Flag(help: "Also list entries whose metadata alone changed (U).")
    var metadata = false

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    func run() async throws {
        let firstReference = try SnapshotReference(parsing: first)
        let secondReference = try SnapshotReference(parsing: second)
        let opened = try await repository.openRepository()
        let json = self.json
        let metadata = self.metadata
        try await opened.withLock(locking.policy) {
            try await Self.compare(firstReference, secondReference, in: opened, metadata: metadata, json: json)
        }
    }

    private static func compare(
        _ firstReference: SnapshotReference, _ secondReference: SnapshotReference, in opened: Repository, metadata: Bool, json: Bool
    ) async throws {
        let catalog = try await opened.snapshotCatalog()
        DamagedSnapshotWarning.emit(for: catalog)
        let damaged = catalog.damaged.map(\.id)
        let trees = TreeCache(repository: opened, index: try await opened.loadIndex().chunks)
        let old = try await SnapshotLocation(firstReference, in: catalog.readable, damaged: damaged, trees: trees)
        let new = try await SnapshotLocation(secondReference, in: catalog.readable, damaged: damaged, trees: trees)
        let summary = try await SnapshotDiff(trees: trees, includesMetadata: metadata).compare(old.entry, new.entry) { change in
            if json {
                var object: [String: Any] = [
                    "message_type": "change", "change": change.kind.rawValue, "type": (change.new ?? change.old)?.type.displayName ?? "",
                ]
                SnapshotEntry.add(change.path, as: "path", to: &object)
                JSONLines.print(object)
            } else {
                print(change.line)
            }
        }
        if json {
            JSONLines.print([
                "message_type": "summary", "added": summary.added, "removed": summary.removed, "modified": summary.modified,
                "type_changed": summary.typeChanged, "metadata_changed": summary.metadataChanged,
            ])
        } else {
            print(summary.line)
        }
    }
}
