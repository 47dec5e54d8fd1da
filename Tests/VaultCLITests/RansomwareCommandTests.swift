import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of the ransomware check: `backup` exit code 5 and its
/// warning, `snapshots` marking, `snapshots --clean`, `restore --snapshot last-clean`.
@Suite("vault ransomware check")
struct RansomwareCommandTests {
    let vault = VaultProcess()

    /// A repository holding one clean backup of 100 text files, then a
    /// second backup after 60 of them were encrypted.
    struct Attacked {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var source: String { directory.appending("source") }
        let clean: String
        let suspect: VaultProcess.Result

        static func text(_ index: Int) -> String {
            (0..<120).map { "line \($0) of note \(index): the quarterly budget meeting moved to Thursday\n" }.joined()
        }

        init(_ vault: VaultProcess, extraArguments: [String] = []) throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.appending("source/notes"), withIntermediateDirectories: true)
            for index in 0..<100 {
                try Self.text(index).write(toFile: directory.appending("source/notes/n\(index).txt"), atomically: false, encoding: .utf8)
            }
            let created = try vault.run(["init", "-r", directory.appending("repo"), "--scrypt-n", "1024"])
            try #require(created.status == 0, "\(created.standardError)")
            let first = try vault.run(["backup", "--json", "-r", directory.appending("repo"), directory.appending("source")])
            try #require(first.status == 0, "\(first.standardError)")
            let summary = try #require(first.standardOutput.split(separator: "\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
            clean = try #require(object["snapshot_id"] as? String)
            #expect(object["suspect"] is NSNull)
            var generator = SystemRandomNumberGenerator()
            for index in 0..<60 {
                let noise = (0..<9000).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try Data(Array("Salted__".utf8) + noise).write(to: URL(fileURLWithPath: directory.appending("source/notes/n\(index).txt")))
            }
            suspect = try vault.run(["backup", "-r", directory.appending("repo"), directory.appending("source")] + extraArguments)
        }
    }

    @Test("an attack: the backup completes, warns with examples and the clean snapshot, and exits 5")
    func warning() throws {
        let attacked = try Attacked(vault)
        #expect(attacked.suspect.status == 5, "\(attacked.suspect.standardError)")
        let error = attacked.suspect.standardError
        #expect(error.contains("SUSPECT"))
        #expect(error.contains("60 of 60 new or changed files"))
        #expect(error.contains(attacked.source + "/notes/n0.txt"))
        #expect(error.contains("the previous clean snapshot is \(attacked.clean.prefix(8))"))
        #expect(error.contains("vault restore --snapshot last-clean"))
        #expect(attacked.suspect.standardOutput.contains("snapshot "), "the summary is still printed")

        let listing = try vault.run(["snapshots", "-r", attacked.repo])
        #expect(listing.status == 0)
        #expect(listing.standardOutput.contains("incremental SUSPECT"))
        #expect(listing.standardOutput.contains("1 suspect"))
        let clean = try vault.run(["snapshots", "--clean", "-r", attacked.repo])
        #expect(clean.standardOutput.split(separator: "\n").contains { $0.hasPrefix(attacked.clean.prefix(8)) })
        #expect(clean.standardOutput.contains("1 snapshot\n"))
        let json = try vault.run(["snapshots", "--json", "-r", attacked.repo])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.count == 2)
        let suspect = try #require(array.last?["suspect"] as? [String: Any])
        #expect(suspect["filesSuspicious"] as? Int == 60)
        #expect((suspect["examples"] as? [String])?.count == 20)

        // Restore the last clean snapshot: the notes come back as text.
        let target = attacked.directory.appending("restored")
        let restored = try vault.run(["restore", "-r", attacked.repo, "--snapshot", "last-clean:" + attacked.source, "--target", target])
        #expect(restored.status == 0, "\(restored.standardError)")
        #expect(try String(contentsOfFile: target + "/notes/n0.txt", encoding: .utf8) == Attacked.text(0))
    }

    @Test("--json carries the alarm in the summary object")
    func json() throws {
        let attacked = try Attacked(vault, extraArguments: ["--json"])
        #expect(attacked.suspect.status == 5)
        let summary = try #require(attacked.suspect.standardOutput.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        let suspect = try #require(object["suspect"] as? [String: Any])
        #expect(suspect["files_suspicious"] as? Int == 60)
        #expect(suspect["files_examined"] as? Int == 60)
        #expect(suspect["previous_clean"] as? String == attacked.clean)
        #expect(suspect["threshold"] as? String == "50,20%")
        #expect((suspect["examples"] as? [String])?.count == 20)
    }

    @Test("--no-ransomware-check, or a threshold above the attack, exits 0", arguments: [["--no-ransomware-check"], ["--ransomware-threshold", "61,20%"]])
    func disabled(arguments: [String]) throws {
        let attacked = try Attacked(vault, extraArguments: arguments)
        #expect(attacked.suspect.status == 0, "\(attacked.suspect.standardError)")
        #expect(!attacked.suspect.standardError.contains("SUSPECT"))
        let clean = try vault.run(["snapshots", "--clean", "-r", attacked.repo])
        #expect(clean.standardOutput.contains("1 snapshot\n"))
        #expect(!clean.standardOutput.split(separator: "\n").contains { $0.hasPrefix(attacked.clean.prefix(8)) }, "the newest snapshot is the clean one")
    }

    @Test("a bad threshold is a usage error", arguments: [
        ["--ransomware-threshold", "50"], ["--ransomware-threshold", "0,20%"], ["--ransomware-threshold", "50,200%"],
        ["--ransomware-threshold", "50,20%", "--no-ransomware-check"],
    ])
    func usage(arguments: [String]) throws {
        let directory = try TemporaryDirectory()
        let result = try vault.run(["backup", "-r", directory.appending("repo"), directory.path] + arguments)
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains("ransomware"))
    }
}
