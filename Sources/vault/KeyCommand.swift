import ArgumentParser
import VaultCodecs
import VaultOperations
import VaultRepository

/// `vault key`: manages the passwords that open a repository.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Add, list, remove or change the passwords of an encrypted repository.",
        subcommands: [List.self, Add.self, Remove.self, Passwd.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the key files; * marks the one the password opened.")

        @OptionGroup var repository: RepositoryOptions

        func run() async throws {
            let (opened, password) = try await repository.openRepositoryAndPassword()
            guard let password else {
                throw RepositoryError(.invalidRequest, "the repository is not encrypted: it has no keys")
            }
            let current = try await opened.keyFileID(openedBy: password)
            for (id, file) in try await opened.keyFiles() {
                // Key files are not authenticated: their user and host are escaped like paths.
                let owner = PrintablePath.escape(Array("\(file.user)@\(file.host)".utf8))
                print("\(id == current ? "*" : " ") \(id.shortHex)  \(owner)  \(file.created)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a password.")

        @OptionGroup var repository: RepositoryOptions
        @OptionGroup var newKey: NewKeyOptions

        func run() async throws {
            let opened = try await repository.openRepository()
            let password = try newKey.password()
            let kdf = newKey.keyDerivation.parameters
            // Adding a key adds data: a shared lock.
            let id = try await opened.withLock(.shared) { try await opened.addKey(password: password, kdf: kdf) }
            print("added key \(id.shortHex)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key file (never the last one).")

        @OptionGroup var repository: RepositoryOptions

        @Argument(help: "The key's ID or a unique prefix of it.")
        var id: String

        func run() async throws {
            let opened = try await repository.openRepository()
            let matches = try await opened.keyFiles().map(\.id).filter { $0.hex.hasPrefix(id.lowercased()) }
            guard matches.count == 1, !id.isEmpty else {
                throw RepositoryError(.invalidRequest, matches.isEmpty ? "no key matches '\(id)'" : "'\(id)' matches \(matches.count) keys: give more digits")
            }
            let removed = matches[0]
            // Removing a key removes data: an exclusive lock.
            try await opened.withLock(.exclusive) { try await opened.removeKey(removed) }
            print("removed key \(removed.shortHex)")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change the password: add a key for the new one, then remove the old key.")

        @OptionGroup var repository: RepositoryOptions
        @OptionGroup var newKey: NewKeyOptions

        func run() async throws {
            let (opened, password) = try await repository.openRepositoryAndPassword()
            guard let password else {
                throw RepositoryError(.invalidRequest, "the repository is not encrypted: it has no password")
            }
            let old = try await opened.keyFileID(openedBy: password)
            let newPassword = try newKey.password()
            let kdf = newKey.keyDerivation.parameters
            // The old key is removed: an exclusive lock.
            let id = try await opened.withLock(.exclusive) {
                let id = try await opened.addKey(password: newPassword, kdf: kdf)
                try await opened.removeKey(old)
                return id
            }
            print("changed password: key \(old.shortHex) replaced by \(id.shortHex)")
        }
    }
}

/// The options of commands that add a key: where the new password comes
/// from, and the key derivation's cost.
struct NewKeyOptions: ParsableArguments {
    @OptionGroup var keyDerivation: KeyDerivationOptions

    @Option(help: ArgumentHelp("Read the new password from this file (default: a prompt, asked twice).", valueName: "file"))
    var newPasswordFile: String?

    /// Asks for the new password (twice at a prompt).
    func password() throws(RepositoryError) -> String {
        try PasswordSource(passwordFile: newPasswordFile, environment: [:]).newPassword()
    }
}
