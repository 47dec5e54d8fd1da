import Foundation
import Testing

/// End-to-end tests of `vault backup`.
@Suite("vault backup")
struct BackupCommandTests {
    let vault = VaultProcess()

    /// A repository and a source tree in a temporary directory.
    struct Setup {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var source: String { directory.appending("source") }

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.appending("source/sub"), withIntermediateDirectories: true)
            try "one".write(toFile: directory.appending("source/one.txt"), atomically: false, encoding: .utf8)
            try "two".write(toFile: directory.appending("source/sub/two.txt"), atomically: false, encoding: .utf8)
            let created = try vault.run(["init", "-r", directory.appending("repo"), "--scrypt-n", "1024"])
            try #require(created.status == 0, "\(created.standardError)")
        }
    }

    @Test("backup prints a summary; the second is incremental and reads nothing")
    func summary() throws {
        let setup = try Setup(vault)
        let first = try vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("(full)"))
        #expect(first.standardOutput.contains("files: 2 new, 0 changed, 0 unchanged, 0 removed"))
        #expect(first.standardError.contains("this backup is full"))
        let second = try vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(second.status == 0)
        #expect(second.standardOutput.contains("(incremental, parent"))
        #expect(second.standardOutput.contains("files: 0 new, 0 changed, 2 unchanged, 0 removed"))
        #expect(second.standardOutput.contains("read 0 B"))
    }

    @Test("--json prints only JSON objects, ending with a summary")
    func json() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["backup", "--json", "-r", setup.repo, setup.source])
        #expect(result.status == 0)
        let lines = result.standardOutput.split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let summary = try #require(objects.last)
        #expect(summary["message_type"] as? String == "summary")
        #expect(summary["kind"] as? String == "full")
        #expect(summary["files_new"] as? Int == 2)
        #expect((summary["snapshot_id"] as? String)?.count == 64)
    }

    @Test("conflicting or missing arguments are usage errors", arguments: [
        ["--full", "--differential", "SOURCE"], [], ["--stdin", "SOURCE"], ["--stdin", "--stdin-filename", "a/b"],
    ])
    func usage(arguments: [String]) throws {
        let setup = try Setup(vault)
        let result = try vault.run(["backup", "-r", setup.repo] + arguments.map { $0 == "SOURCE" ? setup.source : $0 })
        #expect(result.status == 64)
    }

    @Test("a backup of nothing that exists fails with one line")
    func nothingExists() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["backup", "-r", setup.repo, setup.directory.appending("nope")])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("vault: none of the paths"))
    }

    @Test("--stdin stores standard input under its file name")
    func standardInput() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["backup", "-r", setup.repo, "--stdin", "--stdin-filename", "dump.sql", "--json"], input: "CREATE TABLE t;\n")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("\"bytes_read\":16"))
    }

    @Test("an unreadable file: the incremental takes it from the parent (exit 0); a full backup reports it and exits 3")
    func unreadableFile() throws {
        // The first backup runs as root; the next ones as 'nobody', who may not read one.txt.
        // (Changing the file's mode instead would change its ctime, and so make it a changed file.)
        let setup = try Setup(vault)
        #expect(chmod(setup.source + "/one.txt", 0o600) == 0)
        #expect(chmod(setup.directory.path, 0o755) == 0)
        let first = try vault.run(["backup", "-r", setup.repo, setup.source])
        try #require(first.status == 0, "\(first.standardError)")
        try shell("chown -R 65534:65534 '\(setup.repo)'")
        let asNobody = vault.asUser(65534)
        let incremental = try asNobody.run(["backup", "-r", setup.repo, setup.source])
        #expect(incremental.status == 0, "\(incremental.standardError)")
        #expect(incremental.standardOutput.contains("2 unchanged"))
        let full = try asNobody.run(["backup", "--full", "-r", setup.repo, setup.source])
        #expect(full.status == 3)
        #expect(full.standardError.contains("\(setup.source)/one.txt: Permission denied"))
        #expect(full.standardOutput.contains("incomplete"))
        // An unreadable directory too.
        #expect(chmod(setup.source + "/sub", 0o700) == 0)
        let directory = try asNobody.run(["backup", "-r", setup.repo, setup.source])
        #expect(directory.status == 3)
        #expect(directory.standardError.contains("\(setup.source)/sub: Permission denied"))
    }

    @Test("Ctrl-C stops the backup with exit 130 and no snapshot; the next backup completes")
    func interrupt() throws {
        let setup = try Setup(vault)
        try writeRandomFiles(count: 40, size: 1 << 20, in: setup.source)
        let process = try vault.start(["backup", "-r", setup.repo, setup.source])
        try waitForFile(in: setup.repo + "/locks")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130 || process.terminationStatus == 0, "it may have finished first")
        if process.terminationStatus == 130 {
            #expect(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/snapshots").isEmpty)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/locks").isEmpty)
        let complete = try vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(complete.status == 0, "\(complete.standardError)")
    }

    @Test("a backup killed with SIGKILL leaves a repository the next backup completes")
    func killed() throws {
        let setup = try Setup(vault)
        try writeRandomFiles(count: 40, size: 1 << 20, in: setup.source)
        let process = try vault.start(["backup", "-r", setup.repo, setup.source])
        try waitForFile(in: setup.repo + "/locks")
        usleep(200_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // On a fast machine the backup may have finished before the kill.
        let killed = process.terminationReason == .uncaughtSignal
        // The dead process's lock is stale at once: the next backup is not blocked by it.
        let complete = try vault.run(["backup", "-r", setup.repo, setup.source])
        #expect(complete.status == 0, "\(complete.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/snapshots").count == (killed ? 1 : 2))
    }
}

/// Writes `count` files of pseudo-random bytes.
func writeRandomFiles(count: Int, size: Int, in directory: String) throws {
    var state: UInt64 = 42
    for index in 0..<count {
        var bytes = [UInt8](repeating: 0, count: size)
        for offset in stride(from: 0, to: size, by: 8) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: state) { word in
                for byte in 0..<min(8, size - offset) { bytes[offset + byte] = word[byte] }
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/random-\(index)"))
    }
}

/// Waits until a directory holds a file (up to 10 s).
func waitForFile(in directory: String) throws {
    for _ in 0..<1000 {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory), !entries.isEmpty { return }
        usleep(10_000)
    }
    Issue.record("nothing appeared in \(directory)")
}

/// Runs a shell command and requires it to succeed.
func shell(_ command: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "\(command) failed")
}
