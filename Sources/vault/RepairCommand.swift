import ArgumentParser
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault repair`: fixes what `verify` finds, without a mirror.
struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Repair the index or the snapshot list after damage (see 'vault verify').",
        discussion: """
            vault repair index rebuilds the index from the packs: it keeps every readable index record that \
            matches its pack, reads the headers of the other packs (damaged or lost index files, packs an \
            interrupted backup left unindexed), writes one new index file and removes the old ones.

            vault repair snapshots lists damaged snapshot files; with --forget-damaged it removes them.

            To replace damaged objects with good copies from a mirror, use 'vault verify --repair-from MIRROR'.
            """,
        subcommands: [RepairIndexCommand.self, RepairSnapshotsCommand.self]
    )
}

/// `vault repair index`.
struct RepairIndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Rebuild the index from the packs' headers; index orphan packs; supersede damaged index files.",
        discussion: """
            Takes an exclusive lock. Exit status: 0 when every pack was indexed, 4 when some pack's header \
            cannot be read (its blobs are lost unless a mirror has the pack).

            Example:
              vault repair index -r /backups
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Read every pack that no readable index file describes whole, and check each of its blobs before indexing it.")
    var readData = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let outcome = try await IndexRebuild(repository: opened, checkingBlobs: readData).run()
        for id in outcome.damagedIndexFiles {
            print("index \(id.shortHex) is damaged: superseded")
        }
        for id in outcome.packsFromHeaders {
            print("pack \(id.shortHex): indexed from its header")
        }
        for (id, reason) in outcome.unreadablePacks {
            StandardError.line("vault: pack \(id.shortHex) left out: \(reason)")
        }
        let file = outcome.newIndexFile.map { "index \($0.shortHex)" } ?? "no index file (the repository holds no packs)"
        print("wrote \(file): \(outcome.packs) pack\(outcome.packs == 1 ? "" : "s"), \(outcome.blobs) blob\(outcome.blobs == 1 ? "" : "s"); "
            + "removed \(outcome.removedIndexFiles.count) old index file\(outcome.removedIndexFiles.count == 1 ? "" : "s")")
        if !outcome.unreadablePacks.isEmpty {
            throw ExitCode(.damageFound)
        }
    }
}

/// `vault repair snapshots`.
struct RepairSnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List damaged snapshot files; remove them with --forget-damaged.",
        discussion: """
            Without --forget-damaged nothing is changed: the damaged snapshots are listed and the exit status \
            is 4 when there are any. With it, each damaged snapshot file is removed (under an exclusive lock) \
            and named. The data they used stays until 'vault prune'.

            Example:
              vault repair snapshots -r /backups --forget-damaged
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Remove the damaged snapshot files.")
    var forgetDamaged = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let outcome = try await SnapshotRepair(repository: opened, forgetDamaged: forgetDamaged).run()
        let removed = Set(outcome.removed)
        for (id, reason) in outcome.damaged {
            print("\(removed.contains(id) ? "removed" : "damaged") snapshot \(id.hex): \(reason)")
        }
        if outcome.damaged.isEmpty {
            print("no damaged snapshots")
        } else if !forgetDamaged {
            print("\(outcome.damaged.count) damaged snapshot\(outcome.damaged.count == 1 ? "" : "s"); nothing removed: pass --forget-damaged to remove them")
            throw ExitCode(.damageFound)
        }
    }
}
