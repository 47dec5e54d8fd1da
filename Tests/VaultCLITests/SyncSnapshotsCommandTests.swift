import Foundation
import VaultTestSupport
import Testing

/// `vault snapshots --kind sync --name SET` lists a sync set's history.
@Suite("vault snapshots of sync sets")
struct SyncSnapshotsCommandTests {
    let vault = VaultProcess()

    @Test("--kind sync --name lists only that set's snapshots, marked 'sync ROLE'; --kind full leaves them out")
    func listsTheHistory() throws {
        let setup = try SyncCommandTests.Setup(vault)
        try setup.write(setup.a, "notes.txt", "v0")
        #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
        try setup.write(setup.b, "other.txt", "backed up")
        #expect(try vault.run(["backup", "-r", setup.repo, "--host", "home", setup.b]).status == 0)

        let sync = try vault.run(["snapshots", "-r", setup.repo, "--kind", "sync", "--name", "docs", "--json"])
        #expect(sync.status == 0, "\(sync.standardError)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(sync.standardOutput.utf8)) as? [[String: Any]])
        #expect(!listed.isEmpty)
        #expect(listed.allSatisfy { ($0["sync"] as? [String: Any])?["set"] as? String == "docs" })

        let table = try vault.run(["snapshots", "-r", setup.repo, "--name", "docs"])
        #expect(table.standardOutput.contains("sync head"))
        #expect(!table.standardOutput.contains(setup.b))

        let other = try vault.run(["snapshots", "-r", setup.repo, "--name", "nothing-here", "--json"])
        #expect(other.status == 0)
        #expect(other.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")

        let full = try vault.run(["snapshots", "-r", setup.repo, "--kind", "full", "--json"])
        let backups = try #require(try JSONSerialization.jsonObject(with: Data(full.standardOutput.utf8)) as? [[String: Any]])
        #expect(backups.count == 1)
        #expect(backups.allSatisfy { $0["sync"] == nil })

        let wrong = try vault.run(["snapshots", "-r", setup.repo, "--kind", "full", "--name", "docs"])
        #expect(wrong.status == 64)
        #expect(wrong.standardError.hasPrefix("vault: "))
    }
}
