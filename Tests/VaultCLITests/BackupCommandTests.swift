import Foundation
import VaultTestSupport
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

    /// A repository with small chunks, so that a few MiB of a stream make many.
    func smallChunkRepository(_ setup: Setup) throws -> String {
        let repo = setup.directory.appending("small-chunks")
        let created = try vault.run(["init", "-r", repo, "--scrypt-n", "1024", "--chunk-sizes", "64K,256K,1M", "--pack-size", "1M"])
        try #require(created.status == 0, "\(created.standardError)")
        return repo
    }

    /// The `--json` summary object of a backup.
    func summary(_ output: String) throws -> [String: Any] {
        let last = try #require(output.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    }

    @Test("Ctrl-C mid-stream: exit 130, no snapshot, no lock; verify is clean and the next backup reuses what was read")
    func interrupt() throws {
        let setup = try Setup(vault)
        let repo = try smallChunkRepository(setup)
        let data = randomBytes(6 << 20, seed: 5)
        let backup = try VaultStreamingProcess(vault, ["backup", "-r", repo, "--stdin", "--stdin-filename", "stream.bin"], directory: setup.directory)
        // When the write returns, vault has read all but a pipe's buffer of it: it is mid-stream, and cannot finish.
        try backup.write(Array(data[..<(4 << 20)]))
        backup.signal(SIGINT)
        usleep(300_000)
        // More input, if vault is still reading; the pipe stays open.
        try? backup.write(Array(data[(4 << 20)..<((4 << 20) + (64 << 10))]))
        backup.wait()
        #expect(backup.status == 130, "\(backup.standardError)")
        #expect(backup.standardError.contains("interrupted"))
        #expect(entries(of: repo + "/snapshots").isEmpty)
        #expect(entries(of: repo + "/locks").isEmpty)
        #expect(!entries(of: repo + "/index").isEmpty, "what was read is stored and indexed")
        try? backup.closeInput()

        let verify = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")

        let again = try VaultStreamingProcess(vault, ["backup", "-r", repo, "--stdin", "--stdin-filename", "stream.bin", "--json"], directory: setup.directory)
        try again.write(data)
        try again.closeInput()
        again.wait()
        try #require(again.status == 0, "\(again.standardError)")
        let added = try #require(try summary(again.standardOutput)["bytes_added"] as? Int)
        #expect(added < data.count - (3 << 20), "the interrupted backup's \(4 << 20) bytes are reused: \(added) bytes added")

        let target = setup.directory.appending("restored")
        let restore = try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", target])
        #expect(restore.status == 0, "\(restore.standardError)")
        #expect(FileManager.default.contents(atPath: target + "/stream.bin") == Data(data))
    }

    @Test("Ctrl-C while the backup waits for input on a pipe held open ends it with 130 without more input")
    func interruptWhileWaiting() throws {
        let setup = try Setup(vault)
        let repo = try smallChunkRepository(setup)
        let backup = try VaultStreamingProcess(vault, ["backup", "-r", repo, "--stdin", "--stdin-filename", "stream.bin"], directory: setup.directory)
        try backup.write(randomBytes(1 << 20, seed: 6))
        backup.signal(SIGINT)
        backup.wait(seconds: 15)
        #expect(backup.status == 130, "\(backup.standardError)")
        #expect(entries(of: repo + "/snapshots").isEmpty)
        try? backup.closeInput()
    }

    @Test("SIGKILL mid-stream: verify is clean, unlock removes exactly the dead lock, the earlier and the next snapshot restore bit-exact")
    func killed() throws {
        let setup = try Setup(vault)
        let repo = try smallChunkRepository(setup)
        // Snapshot A.
        let first = try vault.run(["backup", "-r", repo, setup.source])
        try #require(first.status == 0, "\(first.standardError)")
        let snapshotA = try #require(entries(of: repo + "/snapshots").first)

        // B, killed mid-stream.
        let killed = try VaultStreamingProcess(vault, ["backup", "-r", repo, "--stdin", "--stdin-filename", "killed.bin"], directory: setup.directory)
        try killed.write(randomBytes(4 << 20, seed: 7))
        killed.signal(SIGKILL)
        killed.wait()
        #expect(killed.wasKilled)
        try? killed.closeInput()
        let deadLocks = entries(of: repo + "/locks")
        #expect(deadLocks.count == 1, "the killed backup's lock is left")
        #expect(entries(of: repo + "/snapshots") == [snapshotA])

        let verify = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")

        // C, alive and mid-stream, while unlock runs: only the dead lock goes.
        let data = randomBytes(3 << 20, seed: 8)
        let live = try VaultStreamingProcess(vault, ["backup", "-r", repo, "--stdin", "--stdin-filename", "next.bin"], directory: setup.directory)
        try live.write(Array(data[..<(1 << 20)]))
        let bothLocks = entries(of: repo + "/locks")
        #expect(bothLocks.count == 2)
        let unlock = try vault.run(["unlock", "-r", repo])
        #expect(unlock.status == 0, "\(unlock.standardError)")
        #expect(entries(of: repo + "/locks") == bothLocks.filter { !deadLocks.contains($0) })
        try live.write(Array(data[(1 << 20)...]))
        try live.closeInput()
        live.wait()
        #expect(live.status == 0, "\(live.standardError)")
        #expect(entries(of: repo + "/locks").isEmpty)

        // A and the next snapshot restore bit-exact.
        let targetA = setup.directory.appending("restored-a")
        let restoreA = try vault.run(["restore", "-r", repo, "--snapshot", "\(snapshotA):\(setup.source)", "--target", targetA])
        #expect(restoreA.status == 0, "\(restoreA.standardError)")
        #expect(FileManager.default.contents(atPath: targetA + "/one.txt") == Data("one".utf8))
        #expect(FileManager.default.contents(atPath: targetA + "/sub/two.txt") == Data("two".utf8))
        let targetC = setup.directory.appending("restored-c")
        let restoreC = try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", targetC, "--verify"])
        #expect(restoreC.status == 0, "\(restoreC.standardError)")
        #expect(FileManager.default.contents(atPath: targetC + "/next.bin") == Data(data))
        #expect(try vault.run(["verify", "-r", repo, "--read-data"]).status == 0)
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
