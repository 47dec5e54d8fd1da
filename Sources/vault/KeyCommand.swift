import ArgumentParser
import VaultCodecs
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
                print("\(id == current ? "*" : " ") \(id.shortHex)  \(file.user)@\(file.host)  \(file.created)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a password.")

        @OptionGroup var repository: RepositoryOptions
        @OptionGroup var newKey: NewKeyOptions

        func run() async throws {
            let opened = try await repository.openRepository()
            let id = try await newKey.add(to: opened)
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
            try await opened.removeKey(matches[0])
            print("removed key \(matches[0].shortHex)")
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
            let id = try await newKey.add(to: opened)
            try await opened.removeKey(old)
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

    /// Asks for the new password and adds a key file for it.
    ///
    /// - Returns: The new key file's ID.
    func add(to repository: Repository) async throws -> KeyID {
        let password = try PasswordSource(passwordFile: newPasswordFile, environment: [:]).newPassword()
        return try await repository.addKey(password: password, kdf: keyDerivation.parameters)
    }
}
