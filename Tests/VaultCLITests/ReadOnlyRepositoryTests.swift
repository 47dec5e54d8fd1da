import Foundation
import VaultTestSupport
import Testing

/// Commands that only read work on a read-only repository (a write-protected
/// drive): without a lock, after one warning; `--no-lock` without the warning.
@Suite("read-only repositories")
struct ReadOnlyRepositoryTests {
    let vault = VaultProcess()

    /// A repository with two snapshots, made read-only.
    struct Setup {
        let directory: TemporaryDirectory
        let repo: String
        let source: String
        let readOnly: ReadOnlyFolder
        /// The two snapshots' IDs, oldest first.
        let ids: [String]

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            source = directory.appending("src")
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try Data("alpha\n".utf8).write(to: URL(fileURLWithPath: source + "/a.txt"))
            try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)
            try #require(try vault.run(["backup", "-r", repo, source]).status == 0)
            try Data("bravo\n".utf8).write(to: URL(fileURLWithPath: source + "/b.txt"))
            try #require(try vault.run(["backup", "-r", repo, source]).status == 0)
            let listing = try vault.run(["snapshots", "-r", repo, "--json"])
            let objects = try #require(try JSONSerialization.jsonObject(with: Data(listing.standardOutput.utf8)) as? [[String: Any]])
            ids = objects.compactMap { $0["id"] as? String }
            try #require(ids.count == 2)
            readOnly = try ReadOnlyFolder(repo, vault: vault)
        }
    }

    /// Every command that reads, with what each must print.
    static func readingCommands(_ setup: Setup) throws -> [(arguments: [String], output: String)] {
        let target = try ReadOnlyFolder.writableByAll(setup.directory.appending("target"))
        let mirror = try ReadOnlyFolder.writableByAll(setup.directory.appending("mirror"))
        return [
            (["snapshots", "-r", setup.repo], "2 snapshots"),
            (["ls", "-r", setup.repo, "latest:\(setup.source)"], "\(setup.source)/b.txt"),
            (["find", "-r", setup.repo, "a.txt"], "\(setup.source)/a.txt"),
            (["diff", "-r", setup.repo, setup.ids[0], setup.ids[1]], "1 added, 0 removed"),
            (["stats", "-r", setup.repo], "restore-size of 2 snapshots"),
            (["restore", "-r", setup.repo, "--snapshot", "latest", "--target", target], "restored snapshot"),
            (["verify", "-r", setup.repo, "--read-data"], "no errors were found"),
            (["mirror", "-r", setup.repo, mirror, "--verify"], "mirror: no errors were found"),
        ]
    }

    @Test("restore, verify, ls, find, diff, stats, snapshots and mirror work without a lock after one warning line")
    func readersWarnOnce() throws {
        let setup = try Setup(vault)
        let vault = setup.readOnly.vault
        for (arguments, output) in try Self.readingCommands(setup) {
            let result = try vault.run(arguments)
            #expect(result.status == 0, "\(arguments[0]) (\(setup.readOnly.method)): \(result.standardError)")
            #expect(result.standardOutput.contains(output), "\(arguments[0]): \(result.standardOutput)")
            let lines = result.standardError.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments[0]): \(result.standardError)")
            #expect(lines.first?.hasPrefix("vault: warning: cannot lock \(setup.repo) (it is read-only): going on without a lock") == true,
                    "\(arguments[0]): \(result.standardError)")
        }
        // Nothing was written into the repository.
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/locks").isEmpty)
    }

    @Test("--no-lock: the same commands, silent")
    func noLockIsSilent() throws {
        let setup = try Setup(vault)
        let vault = setup.readOnly.vault
        for (arguments, _) in try Self.readingCommands(setup) {
            let result = try vault.run(arguments + ["--no-lock"])
            #expect(result.status == 0, "\(arguments[0]): \(result.standardError)")
            #expect(result.standardError == "", "\(arguments[0]): \(result.standardError)")
        }
    }

    @Test("backup, which writes, fails with one vault: line on a read-only repository")
    func backupFails() throws {
        let setup = try Setup(vault)
        let result = try setup.readOnly.vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("vault: ") && !lines[0].hasPrefix("vault: warning"), "\(result.standardError)")
    }
}
