import Foundation
import VaultTestSupport
import Testing

@Suite("vault forget and vault prune")
struct ForgetPruneCommandTests {
    let vault = VaultProcess()

    /// A repository with three snapshots of a folder whose file changes each time.
    struct Setup {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var source: String { directory.appending("source") }

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.appending("source"), withIntermediateDirectories: true)
            let created = try vault.run(["init", "-r", directory.appending("repo"), "--scrypt-n", "1024"])
            try #require(created.status == 0, "\(created.standardError)")
            for round in 0..<3 {
                var bytes = [UInt8](repeating: 0, count: 300_000)
                for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13 &+ round &* 77) }
                try Data(bytes).write(to: URL(fileURLWithPath: directory.appending("source/file")))
                let backup = try vault.run(["backup", "-r", directory.appending("repo"), directory.appending("source")])
                try #require(backup.status == 0, "\(backup.standardError)")
            }
        }
    }

    @Test("forget without IDs or rules is a usage error (exit 64)")
    func forgetNeedsARule() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["forget", "-r", setup.repo])
        #expect(result.status == 64)
        #expect(result.standardError.contains("forgetting everything is never a default"))
        let both = try vault.run(["forget", "-r", setup.repo, "--keep-last", "1", "abcd"])
        #expect(both.status == 64)
        let badDuration = try vault.run(["forget", "-r", setup.repo, "--keep-within", "7x"])
        #expect(badDuration.status == 64)
        let badGroup = try vault.run(["forget", "-r", setup.repo, "--keep-last", "1", "--group-by", "colour"])
        #expect(badGroup.status == 64)
        #expect(try vault.run(["snapshots", "-r", setup.repo]).standardOutput.contains("3 snapshots"))
    }

    @Test("forget --dry-run --json lists kept snapshots with reasons and changes nothing")
    func forgetDryRunJSON() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["forget", "-r", setup.repo, "--keep-last", "1", "--dry-run", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let groups = try #require(object["groups"] as? [[String: Any]])
        let keep = try #require(groups.first?["keep"] as? [[String: Any]])
        let remove = try #require(groups.first?["remove"] as? [[String: Any]])
        #expect(keep.count == 1 && remove.count == 2)
        #expect(keep.first?["reasons"] as? [String] == ["last snapshot"])
        #expect(object["removed"] as? Int == 2)
        #expect(try vault.run(["snapshots", "-r", setup.repo]).standardOutput.contains("3 snapshots"))
    }

    @Test("forget --prune reports what it removed, and the repository verifies")
    func forgetAndPrune() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["forget", "-r", setup.repo, "--keep-last", "1", "--prune"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("keep 1 snapshot:"))
        #expect(result.standardOutput.contains("remove 2 snapshots:"))
        let summary = try #require(result.standardOutput.split(separator: "\n").last)
        #expect(summary.hasPrefix("removed 2 snapshots; deleted "), "\(summary)")
        #expect(summary.contains("MiB), repacked ") && summary.contains("repository ") && summary.contains(" → "))
        let verify = try vault.run(["verify", "-r", setup.repo, "--read-data"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
        let again = try vault.run(["prune", "-r", setup.repo, "--dry-run"])
        #expect(again.status == 0)
        #expect(again.standardOutput.contains("would delete 0 packs"))
        let badLimit = try vault.run(["prune", "-r", setup.repo, "--max-unused", "lots"])
        #expect(badLimit.status == 64)
    }

    @Test("forget --prune --json prints one document with the prune report inside")
    func forgetPruneJSON() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["forget", "-r", setup.repo, "--keep-last", "2", "--prune", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(object["removed"] as? Int == 1)
        let prune = try #require(object["prune"] as? [String: Any])
        #expect((prune["summary"] as? String)?.hasPrefix("removed 1 snapshot; deleted ") == true)
        #expect((prune["sizeAfter"] as? Int ?? .max) <= (prune["sizeBefore"] as? Int ?? 0))
        let plain = try vault.run(["prune", "-r", setup.repo, "--json"])
        #expect(plain.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(plain.standardOutput.utf8)) as? [String: Any])
        #expect(report["deletedPacks"] as? Int == 0)
    }

    @Test("prune refuses with exit 11 while a backup holds its lock")
    func pruneRefusesDuringABackup() throws {
        let setup = try Setup(vault)
        // A backup of standard input holds its lock until its input ends.
        let backup = Process()
        backup.executableURL = VaultProcess.executable
        backup.arguments = ["backup", "-r", setup.repo, "--stdin", "--stdin-filename", "stream"]
        backup.environment = vault.environment
        let input = Pipe()
        backup.standardInput = input
        backup.standardOutput = FileHandle.nullDevice
        backup.standardError = FileHandle.nullDevice
        try backup.run()
        defer { if backup.isRunning { backup.terminate() } }
        var waited = 0
        while ((try? FileManager.default.contentsOfDirectory(atPath: setup.repo + "/locks")) ?? []).filter({ !$0.hasPrefix(".") }).isEmpty, waited < 20_000 {
            usleep(10_000)
            waited += 10
        }
        input.fileHandleForWriting.write(Data("partial".utf8))
        let refused = try vault.run(["prune", "-r", setup.repo])
        #expect(refused.status == 11, "\(refused.standardError)")
        #expect(refused.standardError.contains("locked"))
        #expect(refused.standardError.contains("pid \(backup.processIdentifier)"))
        try input.fileHandleForWriting.close()
        backup.waitUntilExit()
        #expect(backup.terminationStatus == 0)
        let pruned = try vault.run(["prune", "-r", setup.repo])
        #expect(pruned.status == 0, "\(pruned.standardError)")
        #expect(try vault.run(["snapshots", "-r", setup.repo]).standardOutput.contains("4 snapshots"))
    }

    @Test("a differential snapshot whose full base is forgotten shows as such and still restores")
    func differentialWithoutBase() throws {
        let setup = try Setup(vault)
        let full = try vault.run(["backup", "-r", setup.repo, "--full", setup.source, "--json"])
        #expect(full.status == 0)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: setup.source + "/second"))
        #expect(try vault.run(["backup", "-r", setup.repo, "--differential", setup.source]).status == 0)
        let summary = try #require(full.standardOutput.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        let fullID = try #require(object["snapshot_id"] as? String)
        let forgotten = try vault.run(["forget", "-r", setup.repo, fullID, "--prune"])
        #expect(forgotten.status == 0, "\(forgotten.standardError)")
        let listing = try vault.run(["snapshots", "-r", setup.repo])
        #expect(listing.standardOutput.contains("differential (base gone)"), "\(listing.standardOutput)")
        let target = setup.directory.appending("restored")
        let restored = try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest", "--target", target, "--verify"])
        #expect(restored.status == 0, "\(restored.standardError)")
        #expect(FileManager.default.contents(atPath: target + setup.source + "/second") == Data("changed".utf8))
        #expect(try vault.run(["verify", "-r", setup.repo, "--read-data"]).status == 0)
    }

    @Test("mirror after prune says what --delete would remove, and --delete makes the mirror match")
    func mirrorAfterPrune() throws {
        let setup = try Setup(vault)
        let mirror = setup.directory.appending("mirror")
        #expect(try vault.run(["mirror", "-r", setup.repo, mirror, "--create"]).status == 0)
        #expect(try vault.run(["forget", "-r", setup.repo, "--keep-last", "1"]).status == 0)
        #expect(try vault.run(["mirror", "-r", setup.repo, mirror, "--delete"]).status == 0)
        #expect(try vault.run(["prune", "-r", setup.repo]).status == 0)
        let told = try vault.run(["mirror", "-r", setup.repo, mirror])
        #expect(told.status == 0, "\(told.standardError)")
        #expect(told.standardOutput.contains("the source no longer has"), "\(told.standardOutput)")
        #expect(told.standardOutput.contains("'vault mirror --delete' would remove them"))
        let deleted = try vault.run(["mirror", "-r", setup.repo, mirror, "--delete", "--verify"])
        #expect(deleted.status == 0, "\(deleted.standardOutput)")
        let again = try vault.run(["mirror", "-r", setup.repo, mirror])
        #expect(!again.standardOutput.contains("no longer has"))
        #expect(again.standardOutput.contains("copied 0 objects"))
    }
}
