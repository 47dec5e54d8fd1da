import Foundation
import VaultTestSupport
import Testing

/// Locks across processes: racing for an exclusive lock, `vault unlock`,
/// and lock files that cannot be read.
@Suite("locks between processes")
struct LockCommandTests {
    let vault = VaultProcess()

    struct Setup {
        let directory: TemporaryDirectory
        let repo: String

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)
        }

        var lockFiles: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: repo + "/locks")) ?? []).filter { !$0.hasPrefix(".tmp-") }
        }
    }

    /// A round in which a process held the lock, from and to (nanoseconds since the epoch).
    struct Held: Hashable {
        var from: Int64
        var to: Int64
    }

    /// Runs `vault ARGUMENTS` in several processes at once and returns their standard outputs.
    func runTogether(_ argumentLists: [[String]], in directory: TemporaryDirectory) throws -> [(status: Int32, output: String)] {
        var processes: [(Process, String)] = []
        for (number, arguments) in argumentLists.enumerated() {
            let outputPath = directory.appending("output-\(number)")
            FileManager.default.createFile(atPath: outputPath, contents: nil)
            let process = Process()
            process.executableURL = VaultProcess.executable
            process.arguments = arguments
            process.environment = vault.environment
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append((process, outputPath))
        }
        return try processes.map { process, outputPath in
            process.waitUntilExit()
            return (process.terminationStatus, try String(contentsOfFile: outputPath, encoding: .utf8))
        }
    }

    @Test("two processes racing for an exclusive lock 100 times never hold it at the same time")
    func exclusiveRace() throws {
        let setup = try Setup(vault)
        // Both start each round at the same wall-clock instant, a moment after both processes are up.
        let start = Int64(Date().timeIntervalSince1970 * 1e9) + 3_000_000_000
        let arguments = ["debug", "lock", "-r", setup.repo, "--exclusive", "--rounds", "100", "--interval-ms", "100", "--hold-ms", "20",
                         "--start", String(start)]
        let results = try runTogether([arguments, arguments], in: setup.directory)
        // Per process, per round: the time the lock was held, or nil when it was refused.
        var rounds: [[Held?]] = []
        for (status, output) in results {
            #expect(status == 0)
            let lines = output.split(separator: "\n")
            #expect(lines.count == 100)
            rounds.append(lines.map { line in
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "held", let from = Int64(parts[1]), let to = Int64(parts[2]) else { return nil }
                return Held(from: from, to: to)
            })
        }
        try #require(rounds.count == 2 && rounds[0].count == 100 && rounds[1].count == 100)
        let held = rounds.map { $0.compactMap { $0 } }
        for first in held[0] {
            for second in held[1] {
                #expect(first.to < second.from || second.to < first.from, "both held the lock: \(first) and \(second)")
            }
        }
        // The race was real: in most rounds one process won while the other, at the same moment, was refused.
        let contested = (0..<100).filter { (rounds[0][$0] == nil) != (rounds[1][$0] == nil) }.count
        let bothRefused = (0..<100).filter { rounds[0][$0] == nil && rounds[1][$0] == nil }.count
        #expect(contested >= 50, "\(contested) rounds with one winner, \(bothRefused) with none")
        #expect(setup.lockFiles.isEmpty, "locks left behind: \(setup.lockFiles)")
    }

    @Test("a live lock: backup exits 11 naming it; unlock leaves it; unlock --remove-all removes it")
    func unlockRemoveAll() throws {
        let setup = try Setup(vault)
        let holder = try vault.start(["debug", "lock", "-r", setup.repo, "--exclusive", "--hold-ms", "30000"])
        defer {
            holder.terminate()
            holder.waitUntilExit()
        }
        for _ in 0..<500 where setup.lockFiles.isEmpty {
            usleep(10_000)
        }
        try #require(setup.lockFiles.count == 1)

        let source = setup.directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let backup = try vault.run(["backup", "-r", setup.repo, source])
        #expect(backup.status == 11)
        #expect(backup.standardError.hasPrefix("vault: the repository is locked: exclusive lock by "))
        #expect(backup.standardError.contains("(pid \(holder.processIdentifier))"))

        let unlock = try vault.run(["unlock", "-r", setup.repo])
        #expect(unlock.status == 0)
        #expect(unlock.standardOutput == "0 locks removed\n")
        #expect(setup.lockFiles.count == 1)

        let removeAll = try vault.run(["unlock", "-r", setup.repo, "--remove-all"])
        #expect(removeAll.status == 0)
        #expect(removeAll.standardOutput.hasPrefix("removed exclusive lock by "))
        #expect(removeAll.standardOutput.hasSuffix("1 lock removed\n"))
        #expect(setup.lockFiles.isEmpty)
        #expect(try vault.run(["backup", "-r", setup.repo, source]).status == 0)
    }

    @Test("key add, remove and passwd lock the repository; key list does not")
    func keyCommandsLock() throws {
        let setup = try Setup(vault)
        let passwordFile = setup.directory.appending("new-password")
        try Data("second password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let holder = try vault.start(["debug", "lock", "-r", setup.repo, "--exclusive", "--hold-ms", "30000"])
        defer {
            holder.terminate()
            holder.waitUntilExit()
        }
        for _ in 0..<500 where setup.lockFiles.isEmpty {
            usleep(10_000)
        }
        try #require(setup.lockFiles.count == 1)
        let add = try vault.run(["key", "add", "-r", setup.repo, "--new-password-file", passwordFile, "--scrypt-n", "1024"])
        #expect(add.status == 11, "\(add.standardError)")
        let passwd = try vault.run(["key", "passwd", "-r", setup.repo, "--new-password-file", passwordFile, "--scrypt-n", "1024"])
        #expect(passwd.status == 11, "\(passwd.standardError)")
        let list = try vault.run(["key", "list", "-r", setup.repo])
        #expect(list.status == 0)
        #expect(list.standardOutput.split(separator: "\n").count == 1)
        #expect(setup.lockFiles.count == 1)
    }

    @Test("a lock file of garbage: every command exits 11 naming it; vault unlock removes it")
    func garbageLockFile() throws {
        let setup = try Setup(vault)
        let garbage = Data("garbage, not a lock".utf8)
        let name = String(repeating: "ab", count: 32)
        try garbage.write(to: URL(fileURLWithPath: setup.repo + "/locks/" + name))
        for arguments in [["snapshots"], ["verify"], ["backup", setup.directory.path]] {
            let result = try vault.run([arguments[0], "-r", setup.repo] + arguments.dropFirst())
            #expect(result.status == 11, "\(arguments[0]): \(result.standardError)")
            #expect(result.standardError.contains("unreadable lock file locks/\(name)"), "\(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1)
        }
        let unlock = try vault.run(["unlock", "-r", setup.repo])
        #expect(unlock.status == 0)
        #expect(unlock.standardOutput.hasPrefix("removed unreadable lock file locks/\(name)"))
        #expect(setup.lockFiles.isEmpty)
        #expect(try vault.run(["snapshots", "-r", setup.repo]).status == 0)
    }
}
