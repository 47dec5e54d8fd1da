import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of `vault verify`: exit codes, the one-line findings, `--json`.
@Suite("vault verify")
struct VerifyCommandTests {
    let vault = VaultProcess()
    /// Cheap key derivation: tests open repositories many times.
    let fastKDF = ["--scrypt-n", "1024"]

    /// A random 64-hex object name.
    static func randomName() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    @Test("a clean repository exits 0 and says so, structurally and with --read-data", arguments: [true, false])
    func clean(encrypted: Bool) throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo, "--pack-size", "1M"] + (encrypted ? fastKDF : ["--no-encryption"])).status == 0)
        // A repository with packs to read: several data packs and a tree pack.
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeRandomFiles(count: 3, size: 1 << 20, in: source)
        let backup = try vault.run(["backup", "-r", repo, source])
        try #require(backup.status == 0, "\(backup.standardError)")
        var packs = 0
        for folder in try FileManager.default.contentsOfDirectory(atPath: repo + "/data") {
            packs += try FileManager.default.contentsOfDirectory(atPath: repo + "/data/" + folder).count
        }
        try #require(packs >= 3)
        for options in [[], ["--read-data"], ["--read-data-subset", "2/5"], ["--read-data-subset", "10%"]] {
            let result = try vault.run(["verify", "-r", repo] + options)
            #expect(result.status == 0, "\(options): \(result.standardError)")
            #expect(result.standardOutput.hasPrefix("no errors were found (checked 1 snapshot, "), "\(result.standardOutput)")
            #expect(result.standardOutput.contains(" \(packs) packs; "), "\(result.standardOutput)")
            if options.isEmpty {
                #expect(result.standardOutput.contains("read no pack data"), "\(result.standardOutput)")
            } else if options == ["--read-data"] {
                #expect(result.standardOutput.contains("; read \(packs) packs, "), "every pack is read: \(result.standardOutput)")
            }
            #expect(result.standardOutput.split(separator: "\n").count == 1)
            #expect(result.standardError.isEmpty)
        }
        // The shared lock is gone afterwards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: repo + "/locks").isEmpty)
    }

    @Test("a garbage snapshot file: exit 4, one line naming it, then the summary")
    func damagedSnapshot() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)
        let name = Self.randomName()
        try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: repo + "/snapshots/" + name))

        let result = try vault.run(["verify", "-r", repo])
        #expect(result.status == 4)
        #expect(result.standardOutput == """
            snapshot \(name.prefix(8)): damaged: its contents do not match its name; its files cannot be listed: 'vault repair snapshots --forget-damaged' removes it
            1 problem found; no files affected; 1 snapshot unreadable (checked 0 snapshots, 0 trees, 0 packs; read no pack data)

            """)
        #expect(result.standardError.isEmpty)
    }

    @Test("--json prints only JSON objects, one per line: the finding, then the summary")
    func json() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)

        let clean = try vault.run(["verify", "-r", repo, "--json", "--read-data"])
        #expect(clean.status == 0)
        let cleanLines = clean.standardOutput.split(separator: "\n")
        #expect(cleanLines.count == 1)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(cleanLines[0].utf8)) as? [String: Any])
        #expect(summary["type"] as? String == "summary")
        #expect(summary["status"] as? String == "clean")

        let name = Self.randomName()
        try Data("{}".utf8).write(to: URL(fileURLWithPath: repo + "/snapshots/" + name))
        let damaged = try vault.run(["verify", "-r", repo, "--json"])
        #expect(damaged.status == 4)
        let objects = try damaged.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 2)
        #expect(objects.first?["type"] as? String == "error")
        #expect(objects.first?["kind"] as? String == "snapshot-damaged")
        #expect(objects.first?["id"] as? String == name)
        #expect(objects.last?["type"] as? String == "summary")
        #expect(objects.last?["status"] as? String == "damaged")
        #expect(objects.last?["problems"] as? Int == 1)
    }

    @Test("a damaged second key file is named, exit 4; the key the password opens still works")
    func damagedKey() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo] + fastKDF).status == 0)
        try "second password".write(toFile: directory.appending("pw2"), atomically: true, encoding: .utf8)
        let added = try vault.run(["key", "add", "-r", repo, "--new-password-file", directory.appending("pw2")] + fastKDF)
        #expect(added.status == 0)
        let short = try #require(added.standardOutput.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        let keyName = try #require(try FileManager.default.contentsOfDirectory(atPath: repo + "/keys").first { $0.hasPrefix(short) })
        let keyPath = repo + "/keys/" + keyName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: keyPath)))
        bytes[5] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: keyPath))

        let result = try vault.run(["verify", "-r", repo])
        #expect(result.status == 4)
        #expect(result.standardOutput.split(separator: "\n").first == "key \(short): damaged: its contents do not match its name")
        #expect(result.standardOutput.split(separator: "\n").last?.hasPrefix("1 problem found; no files affected") == true)
    }

    @Test("verify cannot run: 10 without a repository, 12 for a wrong password, 11 when locked, 64 for a bad subset")
    func fatalErrors() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["verify", "-r", repo]).status == 10)
        #expect(try vault.run(["init", "-r", repo] + fastKDF).status == 0)

        var wrong = vault
        wrong.environment["VAULT_PASSWORD"] = "not it"
        let refused = try wrong.run(["verify", "-r", repo])
        #expect(refused.status == 12)
        #expect(refused.standardOutput.isEmpty)

        for subset in ["0/3", "4/3", "0%", "all"] {
            let bad = try vault.run(["verify", "-r", repo, "--read-data-subset", subset])
            #expect(bad.status == 64, "\(subset)")
            #expect(bad.standardError.contains("invalid subset '\(subset)'"))
        }
        #expect(try vault.run(["verify", "-r", repo, "--read-data", "--read-data-subset", "1/2"]).status == 64)
    }

    @Test("an exclusive lock held by another host makes verify exit 11 without touching it")
    func locked() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        #expect(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)
        // A plain repository stores a lock as its JSON, named by the SHA-256 of the bytes.
        let time = ISO8601DateFormatter().string(from: Date())
        let lock = Data(#"{"exclusive":true,"host":"elsewhere","pid":1,"time":"\#(time)","user":"someone"}"#.utf8)
        let lockFile = directory.appending("lock")
        try lock.write(to: URL(fileURLWithPath: lockFile))
        let hash = Process()
        hash.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        hash.arguments = [lockFile]
        let output = Pipe()
        hash.standardOutput = output
        try hash.run()
        hash.waitUntilExit()
        let name = String(decoding: output.fileHandleForReading.readDataToEndOfFile().prefix(64), as: UTF8.self)
        try lock.write(to: URL(fileURLWithPath: repo + "/locks/" + name))

        let result = try vault.run(["verify", "-r", repo])
        #expect(result.status == 11, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("vault: the repository is locked"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: repo + "/locks") == [name])
    }
}
