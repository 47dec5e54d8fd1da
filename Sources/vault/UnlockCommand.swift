import ArgumentParser
import VaultOperations
import VaultRepository

/// `vault unlock`: removes stale locks.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove stale locks (older than 30 minutes, or whose process on this host is gone) and lock files that cannot be read."
    )

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Remove every lock, even live ones. Only when no other vault uses the repository.")
    var removeAll = false

    func run() async throws {
        let opened = try await repository.openRepository()
        let removed = try await RepositoryLock.removeStale(in: opened, all: removeAll)
        for lock in removed {
            print(PrintablePath.terminalSafe("removed \(lock.summary)"))
        }
        print("\(removed.count) lock\(removed.count == 1 ? "" : "s") removed")
    }
}
