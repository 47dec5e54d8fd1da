import ArgumentParser
import VaultOperations

/// The `vault` command.
@main
struct Vault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "A content-defined, deduplicating backup repository.",
        version: "0.1.0"
    )
}
