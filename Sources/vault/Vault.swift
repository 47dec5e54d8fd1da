import ArgumentParser
import VaultOperations
import VaultPOSIX
import VaultRepository

/// The `vault` command.
@main
struct Vault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "A content-defined, deduplicating backup repository.",
        discussion: """
            Exit codes: 0 success, 1 fatal error, 3 backup incomplete (unreadable files), \
            4 damage found (verify, snapshots, repair), 5 backup suspect (ransomware signs), \
            10 no repository, 11 repository locked, 12 wrong password, 64 usage error, 130 interrupted.
            """,
        version: VaultVersion.number,
        subcommands: [
            InitCommand.self, BackupCommand.self, RestoreCommand.self, SnapshotsCommand.self, LsCommand.self, DiffCommand.self,
            FindCommand.self, StatsCommand.self, VerifyCommand.self, MirrorCommand.self, KeyCommand.self, UnlockCommand.self,
            ForgetCommand.self, PruneCommand.self, RepairCommand.self, SyncCommand.self,
            DebugCommand.self,
        ]
    )

    /// Runs the command; every error becomes lines on stderr and an exit
    /// status through ``FailureReport``, the one place errors are mapped.
    static func main() async {
        ProcessMemory.limitArenas()
        StandardStreams.secure()
        do {
            var command = try parseAsRoot(MirrorCommand.rewrite(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let report = FailureReport(error)
            report.emit()
            exitProcess(report.status)
        }
    }
}
