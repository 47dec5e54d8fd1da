import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository
import VaultStorage

/// The options every command that uses a repository takes.
struct RepositoryOptions: ParsableArguments {
    @Option(name: [.customShort("r"), .long], help: ArgumentHelp("The repository location (default: $VAULT_REPOSITORY).", valueName: "path"))
    var repo: String?

    @Option(help: ArgumentHelp("Read the password from the first line of this file (default: $VAULT_PASSWORD, $VAULT_PASSWORD_FILE, or a prompt).", valueName: "file"))
    var passwordFile: String?

    /// The repository location from `--repo` or `VAULT_REPOSITORY`.
    ///
    /// - Throws: ``UsageError`` when neither names one.
    func location() throws(UsageError) -> RepositoryLocation {
        guard let text = repo ?? ProcessInfo.processInfo.environment["VAULT_REPOSITORY"], !text.isEmpty else {
            throw UsageError("no repository given: pass -r/--repo or set VAULT_REPOSITORY")
        }
        do {
            return try RepositoryLocation(text)
        } catch {
            throw UsageError(error.message)
        }
    }

    /// Where passwords come from.
    var passwords: PasswordSource {
        PasswordSource(passwordFile: passwordFile)
    }

    /// Opens the repository, asking for a password if it is encrypted.
    func openRepository() async throws -> Repository {
        try await openRepositoryAndPassword().repository
    }

    /// Opens the repository (in `storage`, when the caller opened it
    /// already) and returns the password that opened it (`nil` for a plain
    /// repository), so a command that needs it again does not ask twice.
    func openRepositoryAndPassword(storage opened: (any Storage)? = nil) async throws -> (repository: Repository, password: String?) {
        let storage = try opened ?? location().openStorage()
        let passwords = self.passwords
        var used: String?
        let repository = try await Repository.open(storage) { () throws(RepositoryError) in
            let password = try passwords.password()
            used = password
            return password
        }
        return (repository, used)
    }
}

/// Options for commands that create a key file.
struct KeyDerivationOptions: ParsableArguments {
    @Option(help: .private)
    var scryptN: UInt64?

    /// The scrypt parameters for a new key file.
    var parameters: KeyFile.ScryptParameters {
        var parameters = KeyFile.ScryptParameters.default
        if let scryptN {
            parameters.n = scryptN
        }
        return parameters
    }
}
