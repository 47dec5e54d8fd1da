import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of `vault repair`, and of listing a repository with a damaged snapshot.
@Suite("vault repair")
struct RepairCommandTests {
    let vault = VaultProcess()

    /// Flips one byte in the middle of a file.
    static func flipByte(_ path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A repository with two snapshots of a small source tree.
    static func setUp(_ vault: VaultProcess, _ directory: TemporaryDirectory) throws -> (repo: String, snapshots: [String]) {
        let repo = directory.appending("repo")
        let source = directory.appending("source")
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        try "one".write(toFile: source + "/one.txt", atomically: false, encoding: .utf8)
        try "two".write(toFile: source + "/sub/two.txt", atomically: false, encoding: .utf8)
        try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)
        try #require(try vault.run(["backup", "-r", repo, source]).status == 0)
        try #require(try vault.run(["backup", "-r", repo, "--tag", "second", source]).status == 0)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: repo + "/snapshots").filter { !$0.hasPrefix(".") }
        return (repo, snapshots)
    }

    @Test("a damaged snapshot: snapshots lists it as damaged and exits 4; repair snapshots removes it only with --forget-damaged")
    func damagedSnapshot() throws {
        let directory = try TemporaryDirectory()
        let (repo, snapshots) = try Self.setUp(vault, directory)
        try #require(snapshots.count == 2)
        let damaged = snapshots[0]
        try Self.flipByte(repo + "/snapshots/" + damaged)

        let listed = try vault.run(["snapshots", "-r", repo])
        #expect(listed.status == 4)
        #expect(listed.standardOutput.contains("\(damaged.prefix(8))  "))
        #expect(listed.standardOutput.contains("damaged"))
        #expect(listed.standardOutput.hasSuffix("1 snapshot, 1 damaged\n"))
        #expect(listed.standardError.hasPrefix("vault: snapshot \(damaged.prefix(8)): "))
        #expect(listed.standardError.contains("'vault repair snapshots --forget-damaged' removes it"))
        // The other snapshot restores.
        let restored = try vault.run(["restore", "-r", repo, "--snapshot", snapshots[1], "--target", directory.appending("target")])
        #expect(restored.status == 0, "\(restored.standardError)")

        let dryRun = try vault.run(["repair", "snapshots", "-r", repo])
        #expect(dryRun.status == 4)
        #expect(dryRun.standardOutput.hasPrefix("damaged snapshot \(damaged): "))
        #expect(FileManager.default.fileExists(atPath: repo + "/snapshots/" + damaged))

        let removed = try vault.run(["repair", "snapshots", "-r", repo, "--forget-damaged"])
        #expect(removed.status == 0, "\(removed.standardError)")
        #expect(removed.standardOutput.hasPrefix("removed snapshot \(damaged): "))
        #expect(!FileManager.default.fileExists(atPath: repo + "/snapshots/" + damaged))
        let clean = try vault.run(["snapshots", "-r", repo])
        #expect(clean.status == 0)
        #expect(clean.standardError.isEmpty)
        #expect(try vault.run(["verify", "-r", repo]).status == 0)
    }

    @Test("a damaged index file: verify names repair index, which rebuilds the index; then verify --read-data is clean")
    func damagedIndex() throws {
        let directory = try TemporaryDirectory()
        let (repo, _) = try Self.setUp(vault, directory)
        let indexFiles = try FileManager.default.contentsOfDirectory(atPath: repo + "/index").filter { !$0.hasPrefix(".") }.sorted()
        try #require(!indexFiles.isEmpty)
        try Self.flipByte(repo + "/index/" + indexFiles[0])

        let verify = try vault.run(["verify", "-r", repo])
        #expect(verify.status == 4)
        #expect(verify.standardOutput.contains("'vault repair index' rebuilds the index"))
        // Until the repair, the pack headers stand in for the damaged file: everything reads.
        for arguments in [["ls", "-r", repo, "latest", "-R"], ["stats", "-r", repo], ["find", "-r", repo, "two.txt"],
                          ["restore", "-r", repo, "--snapshot", "latest", "--target", directory.appending("target")]] {
            let result = try vault.run(arguments)
            #expect(result.status == 0, "\(arguments[0]): \(result.standardError)")
        }

        let repaired = try vault.run(["repair", "index", "-r", repo])
        #expect(repaired.status == 0, "\(repaired.standardError)")
        #expect(repaired.standardOutput.contains("index \(indexFiles[0].prefix(8)) is damaged: superseded"))
        #expect(repaired.standardOutput.contains("removed \(indexFiles.count) old index file"))
        let after = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(after.status == 0, "\(after.standardOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: repo + "/index").filter { !$0.hasPrefix(".") }.count == 1)
    }
}
