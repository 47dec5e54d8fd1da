import Foundation
import VaultRepository
import VaultPOSIX

/// Finds the repository password: `--password-file`, `VAULT_PASSWORD`,
/// `VAULT_PASSWORD_FILE`, or a prompt on the terminal without echo.
struct PasswordSource {
    var passwordFile: String?
    var environment: [String: String] = ProcessInfo.processInfo.environment

    /// The password to open an existing repository.
    func password() throws(RepositoryError) -> String {
        if let given = try givenPassword() {
            return given
        }
        return try prompt("enter password for repository: ")
    }

    /// A password for a new key: asked twice at a prompt, and must not be empty.
    ///
    /// - Parameter label: What the password is for, in the prompt.
    func newPassword(label: String = "new password") throws(RepositoryError) -> String {
        let password: String
        if let given = try givenPassword() {
            password = given
        } else {
            password = try prompt("enter \(label): ")
            guard try prompt("enter \(label) again: ") == password else {
                throw RepositoryError(.passwordRequired, "the passwords do not match")
            }
        }
        guard !password.isEmpty else {
            throw RepositoryError(.passwordRequired, "an empty password is not allowed")
        }
        return password
    }

    private func givenPassword() throws(RepositoryError) -> String? {
        if let passwordFile {
            return try read(passwordFile, option: "--password-file")
        }
        if let password = environment["VAULT_PASSWORD"] {
            return password
        }
        if let file = environment["VAULT_PASSWORD_FILE"] {
            return try read(file, option: "VAULT_PASSWORD_FILE")
        }
        return nil
    }

    /// Reads the first line of a password file.
    private func read(_ path: String, option: String) throws(RepositoryError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(.passwordRequired, "cannot read the password file \(path) (\(option))")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.prefix { $0 != "\n" && $0 != "\r\n" && $0 != "\r" })
    }

    /// Asks on the controlling terminal with echo turned off.
    private func prompt(_ message: String) throws(RepositoryError) -> String {
        guard let bytes = Terminal.readSecretLine(prompt: message) else {
            throw RepositoryError(
                .passwordRequired,
                "a password is needed: set VAULT_PASSWORD or VAULT_PASSWORD_FILE, or pass --password-file"
            )
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
