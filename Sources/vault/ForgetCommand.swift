import ArgumentParser
import Foundation
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault forget`: removes snapshots by ID or by a retention policy.
struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshots, by ID or by a retention policy (the data goes with 'vault prune').",
        discussion: """
            With IDs, removes those snapshots. Otherwise the snapshots the filters accept (--host, --tag, \
            --path) are grouped (--group-by, default host,paths) and the --keep-* rules are applied to each \
            group; a snapshot is kept when any rule keeps it:

              --keep-last N        the N newest snapshots
              --keep-hourly N      for the last N hours that have snapshots, the newest of each hour
              --keep-daily N       … of each day;  --keep-weekly N: each ISO week;
              --keep-monthly N     … of each month;  --keep-yearly N: each year
              --keep-full N        the N newest full snapshots
              --keep-within D      every snapshot within D of the group's newest snapshot
              --keep-within-hourly D … --keep-within-yearly D: the newest of each hour … year within D
              --keep-tag T[,T2]    every snapshot that has all these tags (repeatable: any of the lists)

            The walk goes newest first; a counted rule keeps a snapshot when its bucket (hour, day, ISO week, \
            month, year, in UTC) differs from that of the last snapshot the rule kept, and counts down; when \
            a counter is not used up at the oldest snapshot, the oldest is kept too. N may be 'unlimited'. \
            D is a duration such as 7d, 2w3d, 1y6m or 36h (y years, m months, w weeks, d days, h hours).

            Forgetting needs IDs or at least one rule (exit 64 otherwise), and a policy that would leave a \
            group with no snapshot is refused: name a whole group's snapshots by ID to forget them all. Only \
            snapshot objects are removed (under the exclusive lock); every other snapshot still restores on \
            its own, and 'vault prune' (or --prune) removes the data nothing uses any more.

            Output: per group, the kept snapshots with the rules that keep them, and the removed ones. \
            --json prints one JSON object instead.
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "Snapshots to remove (IDs or unique prefixes); no --keep-* rule may be given with them.")
    var snapshots: [String] = []

    @Option(help: ArgumentHelp("Keep the N newest snapshots.", valueName: "n")) var keepLast: KeepCount?
    @Option(help: ArgumentHelp("Keep the newest snapshot of each of the last N hours.", valueName: "n")) var keepHourly: KeepCount?
    @Option(help: ArgumentHelp("… of each of the last N days.", valueName: "n")) var keepDaily: KeepCount?
    @Option(help: ArgumentHelp("… of each of the last N ISO weeks.", valueName: "n")) var keepWeekly: KeepCount?
    @Option(help: ArgumentHelp("… of each of the last N months.", valueName: "n")) var keepMonthly: KeepCount?
    @Option(help: ArgumentHelp("… of each of the last N years.", valueName: "n")) var keepYearly: KeepCount?
    @Option(help: ArgumentHelp("Keep the N newest full snapshots.", valueName: "n")) var keepFull: KeepCount?
    @Option(help: ArgumentHelp("Keep every snapshot within this duration of the newest one (7d, 2w3d, 1y6m).", valueName: "duration"))
    var keepWithin: RetentionDuration?
    @Option(help: ArgumentHelp("Keep the newest snapshot of each hour within this duration.", valueName: "duration"))
    var keepWithinHourly: RetentionDuration?
    @Option(help: ArgumentHelp("… of each day within this duration.", valueName: "duration")) var keepWithinDaily: RetentionDuration?
    @Option(help: ArgumentHelp("… of each week within this duration.", valueName: "duration")) var keepWithinWeekly: RetentionDuration?
    @Option(help: ArgumentHelp("… of each month within this duration.", valueName: "duration")) var keepWithinMonthly: RetentionDuration?
    @Option(help: ArgumentHelp("… of each year within this duration.", valueName: "duration")) var keepWithinYearly: RetentionDuration?
    @Option(help: ArgumentHelp("Keep snapshots with all these tags (comma-separated; repeatable).", valueName: "tags"))
    var keepTag: [String] = []

    @Option(help: ArgumentHelp("Group snapshots by any of host, paths, tags (comma-separated; '' for one group).", valueName: "fields"))
    var groupBy = "host,paths"

    @OptionGroup var filter: SnapshotFilterOptions

    @Flag(help: "Run 'vault prune' afterwards.")
    var prune = false

    @OptionGroup var pruneOptions: PruneOptionGroup

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    var policy: RetentionPolicy {
        var policy = RetentionPolicy()
        policy.last = keepLast?.value ?? 0
        policy.hourly = keepHourly?.value ?? 0
        policy.daily = keepDaily?.value ?? 0
        policy.weekly = keepWeekly?.value ?? 0
        policy.monthly = keepMonthly?.value ?? 0
        policy.yearly = keepYearly?.value ?? 0
        policy.full = keepFull?.value ?? 0
        policy.within = keepWithin
        policy.withinHourly = keepWithinHourly
        policy.withinDaily = keepWithinDaily
        policy.withinWeekly = keepWithinWeekly
        policy.withinMonthly = keepWithinMonthly
        policy.withinYearly = keepWithinYearly
        policy.tags = keepTag.map { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        return policy
    }

    func validate() throws {
        if snapshots.isEmpty, policy.isEmpty {
            throw ValidationError("give snapshot IDs or at least one --keep-* rule: forgetting everything is never a default")
        }
        if !snapshots.isEmpty, !policy.isEmpty {
            throw ValidationError("give either snapshot IDs or --keep-* rules, not both")
        }
        do {
            _ = try SnapshotGrouping(parsing: groupBy)
            _ = try snapshots.map { text throws(OperationError) in try SnapshotReference(parsing: text) }
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let opened = try await repository.openRepository()
        var options = SnapshotForget.Options()
        options.references = try snapshots.map { text throws(OperationError) in try SnapshotReference(parsing: text) }
        options.policy = policy
        options.filter = filter.filter
        options.grouping = try SnapshotGrouping(parsing: groupBy)
        options.dryRun = pruneOptions.dryRun
        let outcome = try await SnapshotForget(repository: opened, options: options).run()
        if json {
            // One document: the forget outcome, and the prune report inside it.
            var object = Self.jsonObject(outcome, dryRun: options.dryRun)
            if prune {
                let report = try await PruneCommand.runPrune(
                    opened, options: pruneOptions.options, removedSnapshots: outcome.removed.count, excluded: Set(outcome.removed)
                )
                object["prune"] = PruneCommand.jsonObject(report)
            }
            JSONDocument.print(object)
            return
        }
        Self.printText(outcome, dryRun: options.dryRun)
        if prune {
            let report = try await PruneCommand.runPrune(
                opened, options: pruneOptions.options, removedSnapshots: outcome.removed.count, excluded: Set(outcome.removed)
            )
            PruneCommand.printText(report)
        } else {
            print("\(options.dryRun ? "would remove" : "removed") \(outcome.removed.count) snapshot\(outcome.removed.count == 1 ? "" : "s")"
                + (outcome.removed.isEmpty || options.dryRun ? "" : "; run 'vault prune' to free their data"))
        }
    }

    static func printText(_ outcome: SnapshotForget.Outcome, dryRun: Bool) {
        for id in outcome.removedUnreadable {
            print("\(dryRun ? "would remove" : "remove") unreadable snapshot \(id.shortHex)")
        }
        let untouched = outcome.unreadable.filter { !outcome.removedUnreadable.contains($0) }
        if !untouched.isEmpty, outcome.removedUnreadable.isEmpty {
            StandardError.line("vault: \(untouched.count) snapshot\(untouched.count == 1 ? " cannot be read and was" : "s cannot be read and were") left alone: "
                + untouched.map(\.shortHex).joined(separator: ", ") + " (run 'vault verify'; forget them by ID)")
        }
        for group in outcome.groups {
            if !group.kept.isEmpty || group.key != SnapshotGroupKey() {
                print("snapshots of \(group.key):")
            }
            if !group.kept.isEmpty {
                print("keep \(group.kept.count) snapshot\(group.kept.count == 1 ? "" : "s"):")
                for kept in group.kept.reversed() {
                    print("  \(row(kept.id, kept.manifest))  \(kept.reasons.map(\.description).joined(separator: ", "))")
                }
            }
            if !group.removed.isEmpty {
                print("\(dryRun ? "would remove" : "remove") \(group.removed.count) snapshot\(group.removed.count == 1 ? "" : "s"):")
                for removed in group.removed.reversed() {
                    print("  \(row(removed.id, removed.manifest))")
                }
            }
        }
    }

    private static func row(_ id: SnapshotID, _ manifest: SnapshotManifest) -> String {
        "\(id.shortHex)  \(DisplayTime.format(manifest.time, in: .local))  \(manifest.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))"
    }

    static func jsonObject(_ outcome: SnapshotForget.Outcome, dryRun: Bool) -> [String: Any] {
        let groups: [[String: Any]] = outcome.groups.map { group in
            var key: [String: Any] = [:]
            if let host = group.key.host { key["host"] = host }
            if let paths = group.key.paths { key["paths"] = paths }
            if let tags = group.key.tags { key["tags"] = tags }
            return [
                "group": key,
                "keep": group.kept.map { kept -> [String: Any] in
                    ["id": kept.id.hex, "time": kept.manifest.time.rfc3339, "kind": kept.manifest.kind.rawValue,
                     "reasons": kept.reasons.map(\.description)]
                },
                "remove": group.removed.map { removed -> [String: Any] in
                    ["id": removed.id.hex, "time": removed.manifest.time.rfc3339, "kind": removed.manifest.kind.rawValue]
                },
            ]
        }
        return [
            "groups": groups, "removed": outcome.removed.count, "dryRun": dryRun,
            "unreadable": outcome.unreadable.map(\.hex), "removedUnreadable": outcome.removedUnreadable.map(\.hex),
        ]
    }
}

/// A `--keep-*` count: a non-negative number or `unlimited`.
struct KeepCount: ExpressibleByArgument {
    /// The count; -1 for unlimited.
    var value: Int

    init?(argument: String) {
        if argument == "unlimited" || argument == "-1" {
            value = -1
        } else if let number = Int(argument), number >= 0 {
            value = number
        } else {
            return nil
        }
    }
}

extension RetentionDuration: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
