import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository

/// `vault sync`: two-way folder sync through a repository.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Synchronize a folder with a sync set in the repository, both ways.",
        discussion: """
            Each sync set has a head (its newest shared state) and, per host, a base (what that host's folder \
            last matched). Changes on one side since the base win; changes on both sides to the same path are a \
            conflict: the repository's version keeps the name and the local one is kept beside it as \
            'NAME (conflict HOST YYYY-MM-DD HHMMSS).EXT'. Every state is a snapshot: 'vault restore' brings any \
            back. Exit code 6 means conflicts were found (and kept); 3 that some entries could not be read \
            (they are left as the last sync saw them).
            """
    )

    /// Exit code when the sync found conflicts (README, "Exit codes").
    static let conflictsExitCode: Int32 = 6

    @OptionGroup var repository: RepositoryOptions

    @Option(help: ArgumentHelp("The sync set's name.", valueName: "set"))
    var name: String

    @Argument(help: "The folder to synchronize.")
    var directory: String

    @Flag(help: "Read-only: apply the set's changes since the last sync to paths not edited here; send nothing.")
    var pull = false

    @Flag(help: "With --pull: make the folder equal the set's head (local edits are saved into the repository first).")
    var replace = false

    @Flag(help: "One-way up: make the set's head equal the folder; change nothing here.")
    var push = false

    @Option(help: ArgumentHelp("Let one side win every conflict, without conflict copies: local or remote.", valueName: "side"))
    var prefer: String?

    @Option(help: ArgumentHelp("The host name to record (default: this host's).", valueName: "name"))
    var host: String?

    @Flag(help: "Print the plan; change neither the folder nor the set.")
    var dryRun = false

    @Flag(help: "Print a JSON summary on standard output.")
    var json = false

    func validate() throws {
        if pull && push { throw ValidationError("--pull and --push exclude each other") }
        if replace && !pull { throw ValidationError("--replace goes with --pull") }
        if prefer != nil && (pull || push) { throw ValidationError("--prefer goes with neither --pull nor --push") }
        if let prefer, SyncSide(rawValue: prefer) == nil { throw ValidationError("--prefer takes 'local' or 'remote'") }
        if !SyncOptions.isValidSetName(name) { throw ValidationError("--name must be 1 to 128 printable characters") }
    }

    func run() async throws {
        var options = SyncOptions(name: name, directory: directory)
        if let host { options.host = host }
        options.dryRun = dryRun
        if pull {
            options.mode = replace ? .replace : .pull
        } else if push {
            options.mode = .push
        } else if let prefer, let side = SyncSide(rawValue: prefer) {
            options.mode = .prefer(side)
        }
        let storage = try repository.location().openStorage()
        let interrupt = InterruptHandler.install()
        // The host's sync state lets a sync where nothing changed skip the key and the index (README, "Sync").
        let result = try await Sync.run(storage: storage, options: options, store: SyncStateStore.standard(), interrupt: interrupt) { storage in
            try await repository.openRepositoryAndPassword(storage: storage).repository
        }
        if json {
            print(SyncReport(result, dryRun: dryRun).jsonText)
        } else {
            for line in SyncReport(result, dryRun: dryRun).lines { print(line) }
        }
        for warning in result.warnings {
            StandardError.line("vault: warning: \(warning.path): \(warning.reason)")
        }
        if !result.plan.conflicts.isEmpty {
            throw ExitCode(Self.conflictsExitCode)
        }
        if result.warnings.contains(where: { $0.kind == .unreadable }) {
            throw ExitCode(.incomplete)
        }
    }
}

/// What `vault sync` prints.
struct SyncReport: Encodable {
    struct Conflict: Encodable {
        var path: String
        var copy: String?
        var copyHolds: String?
        var reason: String
    }
    struct Skip: Encodable {
        var path: String
        var reason: String
    }
    var dryRun: Bool
    var unchanged: Bool
    /// Whether the host's sync state showed that nothing changed (no key, lock or index needed).
    var checkedByState: Bool
    var sent: [String]
    var sentDeletions: [String]
    var received: [String]
    var deleted: [String]
    var conflicts: [Conflict]
    var leftAlone: [String]
    var skipped: [Skip]
    var notes: [String]
    var head: String?
    var base: String?
    var savedLocal: String?

    init(_ result: SyncResult, dryRun: Bool) {
        let plan = result.plan
        self.dryRun = dryRun
        unchanged = result.unchanged
        checkedByState = result.checkedByState
        sent = plan.sent.map(\.description)
        sentDeletions = plan.sentDeletions.map(\.description)
        received = plan.received.map(\.description)
        deleted = plan.deleted.map(\.description)
        conflicts = plan.conflicts.map { Conflict(path: $0.path.description, copy: $0.copy?.description, copyHolds: $0.copySide?.rawValue, reason: $0.reason.rawValue) }
        leftAlone = plan.leftAlone.map(\.description)
        skipped = result.skipped.map { Skip(path: $0.path.description, reason: $0.reason) }
        notes = plan.notes.map { "\($0.path): \($0.message)" }
        head = result.headID?.hex
        base = result.baseID?.hex
        savedLocal = result.localSnapshotID?.hex
    }

    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    var lines: [String] {
        var lines: [String] = []
        let verb = dryRun ? "would " : ""
        if unchanged {
            return ["nothing changed"]
        }
        lines += sent.map { "\(verb)send     \($0)" }
        lines += sentDeletions.map { "\(verb)send deletion of \($0)" }
        lines += received.map { "\(verb)receive  \($0)" }
        lines += deleted.map { "\(verb)delete   \($0)" }
        for conflict in conflicts {
            if let copy = conflict.copy {
                lines.append("conflict \(conflict.path) (\(conflict.reason)): the \(conflict.copyHolds ?? "other") version is kept as \(copy)")
            } else {
                lines.append("conflict \(conflict.path) (\(conflict.reason)): resolved by --prefer; the other version is in the history")
            }
        }
        lines += leftAlone.map { "left alone (local edit) \($0)" }
        lines += skipped.map { "not changed \($0.path): \($0.reason)" }
        lines += notes.map { "note: \($0)" }
        lines.append("\(sent.count + sentDeletions.count) sent, \(received.count) received, \(deleted.count) deleted, \(conflicts.count) conflicts"
            + (head.map { ", head \($0.prefix(8))" } ?? ""))
        return lines
    }
}
