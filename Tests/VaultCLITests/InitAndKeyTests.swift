import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of `vault init`, `vault key` and the exit codes.
@Suite("vault init and key")
struct InitAndKeyTests {
    let vault = VaultProcess()
    /// Cheap key derivation: tests open repositories many times.
    let fastKDF = ["--scrypt-n", "1024"]

    @Test("init creates an encrypted repository that opens with the password, and 12 for a wrong one")
    func initEncrypted() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        let created = try vault.run(["init", "-r", repo] + fastKDF)
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.standardOutput.contains("created encrypted repository"))
        for kind in ["config", "keys", "snapshots", "index", "locks", "data/00", "data/ff"] {
            #expect(FileManager.default.fileExists(atPath: repo + "/" + kind), "\(kind)")
        }
        #expect(try vault.run(["key", "list", "-r", repo]).status == 0)

        var wrong = vault
        wrong.environment["VAULT_PASSWORD"] = "not it"
        let refused = try wrong.run(["key", "list", "-r", repo])
        #expect(refused.status == 12)
        #expect(refused.standardError == "vault: wrong password or no key found\n")
    }

    @Test("init refuses a folder that is not empty, and an existing repository")
    func initRefusesNonEmpty() throws {
        let directory = try TemporaryDirectory()
        try "x".write(toFile: directory.appending("file"), atomically: true, encoding: .utf8)
        let refused = try vault.run(["init", "-r", directory.path] + fastKDF)
        #expect(refused.status == 1)
        #expect(refused.standardError.hasPrefix("vault: "))
        #expect(refused.standardError.split(separator: "\n").count == 1)
        #expect(try vault.run(["init", "-r", directory.appending("repo")] + fastKDF).status == 0)
        #expect(try vault.run(["init", "-r", directory.appending("repo")] + fastKDF).status == 1)
    }

    @Test("the repository can come from VAULT_REPOSITORY and the password from a file")
    func environmentAndPasswordFile() throws {
        let directory = try TemporaryDirectory()
        try "from file\nignored second line\n".write(toFile: directory.appending("pw"), atomically: true, encoding: .utf8)
        var environment = vault
        environment.environment = ["VAULT_REPOSITORY": directory.appending("repo"), "PATH": "/usr/bin:/bin"]
        #expect(try environment.run(["init", "--password-file", directory.appending("pw")] + fastKDF).status == 0)
        environment.environment["VAULT_PASSWORD"] = "from file"
        #expect(try environment.run(["key", "list"]).status == 0)
    }

    @Test("without a password and without a terminal, vault says how to give one")
    func noPassword() throws {
        let directory = try TemporaryDirectory()
        #expect(try vault.run(["init", "-r", directory.appending("repo")] + fastKDF).status == 0)
        var bare = vault
        bare.environment = ["PATH": "/usr/bin:/bin"]
        let result = try bare.run(["key", "list", "-r", directory.appending("repo")])
        #expect(result.status == 1)
        #expect(result.standardError.contains("VAULT_PASSWORD"))
    }

    @Test("a missing repository exits 10; a missing -r says how to give one")
    func noRepository() throws {
        let directory = try TemporaryDirectory()
        let missing = try vault.run(["key", "list", "-r", directory.appending("nothing")])
        #expect(missing.status == 10)
        #expect(missing.standardError == "vault: there is no repository at \(directory.appending("nothing"))\n")
        let emptyFolder = try vault.run(["key", "list", "-r", directory.path])
        #expect(emptyFolder.status == 10)
        var bare = vault
        bare.environment = ["PATH": "/usr/bin:/bin"]
        let unset = try bare.run(["key", "list"])
        #expect(unset.status == 64)
        #expect(unset.standardError.contains("VAULT_REPOSITORY"))
    }

    @Test("key add, passwd and remove; the last key cannot be removed")
    func keyLifecycle() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo] + fastKDF).status == 0)
        try "second".write(toFile: directory.appending("second"), atomically: true, encoding: .utf8)
        try "third".write(toFile: directory.appending("third"), atomically: true, encoding: .utf8)
        let added = try vault.run(["key", "add", "-r", repo, "--new-password-file", directory.appending("second")] + fastKDF)
        #expect(added.status == 0, "\(added.standardError)")

        var second = vault
        second.environment["VAULT_PASSWORD"] = "second"
        let listing = try second.run(["key", "list", "-r", repo])
        #expect(listing.standardOutput.split(separator: "\n").count == 2)
        #expect(listing.standardOutput.split(separator: "\n").filter { $0.hasPrefix("*") }.count == 1)

        // Change the second password to a third: the old key goes.
        let changed = try second.run(["key", "passwd", "-r", repo, "--new-password-file", directory.appending("third")] + fastKDF)
        #expect(changed.status == 0, "\(changed.standardError)")
        #expect(try second.run(["key", "list", "-r", repo]).status == 12)

        // Remove the original key using the third password; then the third is the last.
        var third = vault
        third.environment["VAULT_PASSWORD"] = "third"
        let keys = try third.run(["key", "list", "-r", repo]).standardOutput.split(separator: "\n")
        let original = try #require(keys.first { !$0.hasPrefix("*") }).split(separator: " ")[0]
        let current = try #require(keys.first { $0.hasPrefix("*") }).split(separator: " ")[1]
        #expect(try third.run(["key", "remove", "-r", repo, String(original)]).status == 0)
        let last = try third.run(["key", "remove", "-r", repo, String(current)])
        #expect(last.status == 1)
        #expect(last.standardError.contains("last key"))
        #expect(try vault.run(["key", "list", "-r", repo]).status == 12)
        #expect(try third.run(["key", "list", "-r", repo]).status == 0)
    }

    @Test("init options are validated with one-line errors", arguments: [
        ["--chunk-sizes", "1,2"], ["--chunk-sizes", "16,32,64"], ["--chunk-sizes", "1M,512K,8M"],
        ["--compression", "zstd"], ["--compression", "zlib:10"], ["--pack-size", "12"], ["--pack-size", "lots"],
    ])
    func initValidation(arguments: [String]) throws {
        let directory = try TemporaryDirectory()
        let result = try vault.run(["init", "-r", directory.appending("repo")] + fastKDF + arguments)
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("vault: "))
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.appending("repo/config")))
    }

    @Test("a plain repository needs no password")
    func plainRepository() throws {
        let directory = try TemporaryDirectory()
        var bare = vault
        bare.environment = ["PATH": "/usr/bin:/bin"]
        let result = try bare.run(["init", "--no-encryption", "-r", directory.appending("repo")])
        #expect(result.status == 0)
        #expect(try bare.run(["unlock", "-r", directory.appending("repo")]).status == 0)
    }

    @Test("unknown options are usage errors with exit code 64")
    func usageError() throws {
        let result = try vault.run(["init", "--no-such-option"])
        #expect(result.status == 64)
    }
}
