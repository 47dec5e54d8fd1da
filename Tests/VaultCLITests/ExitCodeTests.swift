import Foundation
import VaultTestSupport
import Testing

/// Bad arguments exit 64; every error line starts with `vault:`
/// (README, "Exit codes").
@Suite("exit codes and error lines")
struct ExitCodeTests {
    let vault = VaultProcess()

    struct Setup {
        let directory: TemporaryDirectory
        let repo: String

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)
            let source = directory.appending("src")
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/x"))
            try #require(try vault.run(["backup", "-r", repo, source]).status == 0)
        }
    }

    /// Checks that every line of standard error starts with `vault: `.
    func expectVaultLines(_ result: VaultProcess.Result, _ context: String) {
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.isEmpty, "\(context): nothing on standard error")
        #expect(lines.allSatisfy { $0.hasPrefix("vault: ") }, "\(context): \(result.standardError)")
        #expect(!result.standardError.contains("Error:"), "\(context): \(result.standardError)")
    }

    @Test("bad arguments exit 64 with one vault: line", arguments: [
        (["init", "-r", "R", "--chunk-sizes", "abc"], "vault: invalid --chunk-sizes 'abc': use MIN,AVG,MAX, e.g. 512K,1M,8M"),
        (["init", "-r", "R", "--chunk-sizes", "1M,512K,8M"], "vault: invalid --chunk-sizes: "),
        (["init", "-r", "R", "--pack-size", "0"], "vault: invalid --pack-size '0': use a size from 1M to 1G"),
        (["init", "-r", "R", "--compression", "lz4"], "vault: invalid compression 'lz4'"),
        (["init"], "vault: no repository given: pass -r/--repo or set VAULT_REPOSITORY"),
        (["snapshots", "-r", ""], "vault: no repository given"),
        (["restore", "-r", "R", "--snapshot", "latest"], "vault: missing --target: give the directory to restore into"),
        (["restore", "-r", "R", "--target", "T"], "vault: missing --snapshot"),
        (["restore", "-r", "R", "--snapshot", "zz", "--target", "T"], "vault: invalid snapshot 'zz'"),
        (["ls", "-r", "R", "zz"], "vault: invalid snapshot 'zz'"),
        (["find", "-r", "R", ""], "vault: the pattern is empty"),
        (["backup", "-r", "R", "--exclude", "", "S"], "vault: an exclude pattern is empty"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory()
        let arguments = arguments.map { $0 == "R" ? directory.appending("repo") : $0 == "T" ? directory.appending("target") : $0 == "S" ? directory.path : $0 }
        let result = try vault.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.standardError)")
        #expect(result.standardError.hasPrefix(message), "\(arguments): \(result.standardError)")
        #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)")
        // Nothing was created.
        #expect(!FileManager.default.fileExists(atPath: directory.appending("repo")))
    }

    @Test("ArgumentParser's own usage errors exit 64 with vault: lines", arguments: [
        ["backup", "--no-such-option"], ["mirror"], ["restore", "--overwrite", "sometimes"], ["nonsense"],
    ])
    func parserErrors(arguments: [String]) throws {
        let result = try vault.run(arguments)
        #expect(result.status == 64, "\(result.standardError)")
        expectVaultLines(result, arguments.joined(separator: " "))
    }

    @Test("--help and --version go to standard output with exit 0")
    func helpAndVersion() throws {
        let help = try vault.run(["restore", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("--no-lock"))
        #expect(help.standardError == "")
        let version = try vault.run(["--version"])
        #expect(version.status == 0)
        #expect(version.standardOutput == "0.1.0\n")
    }

    @Test("a mirror into a read-only empty folder fails with one vault: line, exit 1")
    func mirrorIntoReadOnlyFolder() throws {
        let setup = try Setup(vault)
        let destination = setup.directory.appending("empty")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let readOnly = try ReadOnlyFolder(destination, vault: vault)
        let result = try readOnly.vault.run(["mirror", "-r", setup.repo, destination])
        #expect(result.status == 1)
        expectVaultLines(result, "mirror (\(readOnly.method))")
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("a backup of standard input when it is closed fails with one vault: line, exit 1")
    func backupWithClosedStandardInput() throws {
        let setup = try Setup(vault)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"exec "$0" "$@" <&-"#, VaultProcess.executable.path, "backup", "-r", setup.repo, "--stdin"]
        process.environment = vault.environment
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = VaultProcess.Result(status: process.terminationStatus, standardOutput: "", standardError: String(decoding: data, as: UTF8.self))
        #expect(result.status == 1)
        expectVaultLines(result, "backup --stdin <&-")
        #expect(result.standardError.contains("standard input"), "\(result.standardError)")
    }

    @Test("a repository that is not there exits 10; a wrong password 12")
    func documentedCodes() throws {
        let setup = try Setup(vault)
        let missing = try vault.run(["snapshots", "-r", setup.directory.appending("nothing")])
        #expect(missing.status == 10)
        expectVaultLines(missing, "missing repository")
        var wrong = vault
        wrong.environment["VAULT_PASSWORD"] = "wrong"
        let denied = try wrong.run(["snapshots", "-r", setup.repo])
        #expect(denied.status == 12)
        expectVaultLines(denied, "wrong password")
    }
}
