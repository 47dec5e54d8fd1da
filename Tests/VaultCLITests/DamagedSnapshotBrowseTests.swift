import Foundation
import VaultTestSupport
import Testing

/// Browsing commands beside a damaged snapshot: they work on the readable
/// ones and say which they left out; naming the damaged one says it is damaged.
@Suite("browsing with a damaged snapshot")
struct DamagedSnapshotBrowseTests {
    let vault = VaultProcess()

    @Test("ls, find, stats, diff and restore warn that a damaged snapshot was left out; naming it says it is damaged")
    func browsingWarns() throws {
        let directory = try TemporaryDirectory()
        let (repo, snapshots) = try RepairCommandTests.setUp(vault, directory)
        try #require(snapshots.count == 2)
        // Which file is the newer snapshot: the one with the tag.
        let listed = try vault.run(["snapshots", "-r", repo, "--json"])
        try #require(listed.status == 0)
        let newest = try #require(snapshots.first { name in
            listed.standardOutput.split(separator: "\n").contains { $0.contains(name) && $0.contains("second") }
        })
        let older = try #require(snapshots.first { $0 != newest })
        try RepairCommandTests.flipByte(repo + "/snapshots/" + newest)
        let warning = "vault: warning: 1 damaged snapshot was left out (\(newest.prefix(8)))"

        let ls = try vault.run(["ls", "-r", repo, "latest", "--recursive"])
        #expect(ls.status == 0, "\(ls.standardError)")
        #expect(ls.standardError.hasPrefix(warning))
        #expect(ls.standardOutput.contains("one.txt"))

        for arguments in [["find", "-r", repo, "one.txt"], ["stats", "-r", repo], ["diff", "-r", repo, older, "latest"]] {
            let result = try vault.run(arguments)
            #expect(result.status == 0, "\(arguments[0]): \(result.standardError)")
            #expect(result.standardError.hasPrefix(warning), "\(arguments[0]): \(result.standardError)")
        }

        let restored = try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", directory.appending("target")])
        #expect(restored.status == 0, "\(restored.standardError)")
        #expect(restored.standardError.hasPrefix(warning), "\(restored.standardError)")
        #expect(restored.standardOutput.contains("restored snapshot \(older.prefix(8))"), "\(restored.standardOutput)")
        let restoreNamed = try vault.run(["restore", "-r", repo, "--snapshot", String(newest.prefix(10)), "--target", directory.appending("target2")])
        #expect(restoreNamed.status == 1)
        #expect(restoreNamed.standardError.contains("is damaged and cannot be read"), "\(restoreNamed.standardError)")

        let named = try vault.run(["ls", "-r", repo, String(newest.prefix(10))])
        #expect(named.status == 1)
        #expect(named.standardError.contains("snapshot \(newest.prefix(8)) is damaged and cannot be read"), "\(named.standardError)")
    }
}
