import ArgumentParser
import VaultOperations
import VaultRepository
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `vault` command.
@main
struct Vault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "A content-defined, deduplicating backup repository.",
        discussion: """
            Exit codes: 0 success, 1 fatal error, 3 backup incomplete (unreadable files), \
            4 verify found damage, 10 no repository, 11 repository locked, 12 wrong password, \
            64 usage error, 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, BackupCommand.self, RestoreCommand.self, SnapshotsCommand.self, LsCommand.self, DiffCommand.self,
            FindCommand.self, StatsCommand.self, VerifyCommand.self, MirrorCommand.self, KeyCommand.self, UnlockCommand.self,
            DebugCommand.self, SyncCommand.self,
        ]
    )

    /// Runs the command; repository errors become one line on stderr and their exit code.
    static func main() async {
        do {
            var command = try parseAsRoot(MirrorCommand.rewrite(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as RepositoryError {
            StandardError.line("vault: \(error.message)")
            Glibc.exit(ExitStatus(error).rawValue)
        } catch let error as OperationError {
            StandardError.line(error.code == .interrupted ? "vault: interrupted" : "vault: \(error.message)")
            Glibc.exit(ExitStatus(error).rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
