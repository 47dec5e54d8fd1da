import Foundation
import VaultTestSupport
import Testing

/// Strings from a repository (host names, tags, paths, a `--stdin-filename`,
/// lock holders) never reach a terminal raw: control characters are escaped
/// as `vault ls` escapes paths; JSON output keeps them exact.
@Suite("terminal escape injection")
struct TerminalEscapeTests {
    let vault = VaultProcess()

    /// Turns the screen red and moves the cursor: what an attacker would put in a name.
    static let escape = "\u{1B}[31m\u{1B}[2J"
    /// The escaped form vault prints.
    static let escaped = #"\x1b[31m\x1b[2J"#

    struct Setup {
        let directory: TemporaryDirectory
        let repo: String
        let source: String
        let fileName = "evil\(TerminalEscapeTests.escape)name\u{9B}31m.txt"

        init(_ vault: VaultProcess, encrypted: Bool = false) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            source = directory.appending("src")
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try Data((0..<200_000).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: source + "/" + fileName))
            try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"] + (encrypted ? [] : ["--no-encryption"])).status == 0)
            let host = "host\(TerminalEscapeTests.escape)\nFAKE LINE"
            let tag = "tag\(TerminalEscapeTests.escape)"
            let first = try vault.run(["backup", "-r", repo, source, "--host", host, "--tag", tag])
            try #require(first.status == 0, "\(first.standardError)")
            let stdin = try vault.run(
                ["backup", "-r", repo, "--stdin", "--stdin-filename", "in\(TerminalEscapeTests.escape)put", "--host", host], input: "data")
            try #require(stdin.status == 0, "\(stdin.standardError)")
        }
    }

    /// No control character but newline on a line of output; `lines` lines in all when given.
    func expectSafe(_ text: String, _ context: String, lines: Int? = nil) {
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) },
                "\(context) prints control characters: \(text.debugDescription)")
        if let lines {
            #expect(text.split(separator: "\n").count == lines, "\(context): \(text)")
        }
    }

    @Test("snapshots, ls, find and diff escape hosts, tags, paths and --stdin-filename names")
    func listings() throws {
        let setup = try Setup(vault)
        let snapshots = try vault.run(["snapshots", "-r", setup.repo])
        #expect(snapshots.status == 0)
        expectSafe(snapshots.standardOutput, "snapshots", lines: 5)
        #expect(snapshots.standardOutput.contains(#"host\#(Self.escaped)\nFAKE LINE"#))
        #expect(snapshots.standardOutput.contains(#"tag\#(Self.escaped)"#))
        #expect(snapshots.standardOutput.contains(#"/in\#(Self.escaped)put"#))

        let ids = try snapshotIDs(setup)
        for arguments in [["ls", "-r", setup.repo, "-R", "--long", ids[0]], ["ls", "-r", setup.repo, "-R", ids[0]], ["ls", "-r", setup.repo, "latest"],
                          ["find", "-r", setup.repo, "*"]] {
            let listing = try vault.run(arguments)
            #expect(listing.status == 0, "\(arguments): \(listing.standardError)")
            expectSafe(listing.standardOutput + listing.standardError, arguments.joined(separator: " "))
        }
        let find = try vault.run(["find", "-r", setup.repo, "evil*"])
        #expect(find.standardOutput.contains(#"evil\#(Self.escaped)name\xc2\x9b31m.txt"#), "\(find.standardOutput)")

        let diff = try vault.run(["diff", "-r", setup.repo, ids[0], ids[1]])
        #expect(diff.status == 0)
        expectSafe(diff.standardOutput, "diff")
        #expect(diff.standardOutput.contains(#"+ /in\#(Self.escaped)put"#))
    }

    @Test("JSON output keeps the exact strings")
    func jsonIsExact() throws {
        let setup = try Setup(vault)
        let snapshots = try vault.run(["snapshots", "-r", setup.repo, "--json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(snapshots.standardOutput.utf8)) as? [[String: Any]])
        #expect(objects.first?["host"] as? String == "host\(Self.escape)\nFAKE LINE")
        #expect(objects.first?["tags"] as? [String] == ["tag\(Self.escape)"])
        #expect(objects.last?["paths"] as? [String] == ["/in\(Self.escape)put"])
        let find = try vault.run(["find", "-r", setup.repo, "evil*", "--json"])
        let match = try #require(try JSONSerialization.jsonObject(with: Data(find.standardOutput.utf8)) as? [String: Any])
        #expect(match["name"] as? String == setup.fileName)
    }

    @Test("restore and verify error lines escape the paths of damaged files")
    func errorLines() throws {
        let setup = try Setup(vault)
        // Damage the file's data: a byte in the middle of the largest pack (the tree packs are small).
        let data = setup.repo + "/data"
        var packs: [(path: String, size: Int)] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: data) {
            for name in try FileManager.default.contentsOfDirectory(atPath: data + "/" + folder) {
                let path = data + "/" + folder + "/" + name
                packs.append((path, try Data(contentsOf: URL(fileURLWithPath: path)).count))
            }
        }
        let largest = try #require(packs.max { $0.size < $1.size })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: largest.path))
        bytes[bytes.count / 3] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: largest.path))
        let ids = try snapshotIDs(setup)
        let restore = try vault.run(["restore", "-r", setup.repo, "--snapshot", ids[0], "--target", setup.directory.appending("target")])
        #expect(restore.status == 1)
        expectSafe(restore.standardError, "restore errors")
        #expect(restore.standardError.contains("evil\(Self.escaped)name"), "\(restore.standardError)")

        let verify = try vault.run(["verify", "-r", setup.repo, "--read-data"])
        #expect(verify.status == 4)
        expectSafe(verify.standardOutput + verify.standardError, "verify")
        #expect(verify.standardOutput.contains("evil\(Self.escaped)name"), "\(verify.standardOutput)")
    }

    @Test("lock holders from a repository are escaped in lock errors and by unlock")
    func lockHolders() throws {
        let setup = try Setup(vault)
        // A plain repository's lock file is its JSON, named by its SHA-256.
        let json = #"{"time":"\#(ISO8601DateFormatter().string(from: Date()))","exclusive":true,"host":"h\u001b[2J","pid":1,"user":"u\u001b]0;x\u0007"}"#
        let path = setup.directory.appending("lock.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let name = try sha256(of: path)
        try Data(json.utf8).write(to: URL(fileURLWithPath: setup.repo + "/locks/" + name))
        let locked = try vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(locked.status == 11)
        expectSafe(locked.standardError, "lock error", lines: 1)
        #expect(locked.standardError.contains(#"u\x1b]0;x\x07@h\x1b[2J"#), "\(locked.standardError)")
        let unlock = try vault.run(["unlock", "-r", setup.repo, "--remove-all"])
        #expect(unlock.status == 0)
        expectSafe(unlock.standardOutput, "unlock", lines: 2)
    }

    private func snapshotIDs(_ setup: Setup) throws -> [String] {
        let listing = try vault.run(["snapshots", "-r", setup.repo, "--json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(listing.standardOutput.utf8)) as? [[String: Any]])
        return objects.compactMap { $0["id"] as? String }
    }

    private func sha256(of path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
