import Foundation
import VaultTestSupport
import Glibc
import Testing

/// `vault restore` as a user runs it against a target that already holds
/// files: what it must never delete or change, and `--dry-run`.
@Suite("vault restore: existing targets")
struct RestoreTargetSafetyCommandTests {
    let vault = VaultProcess()

    /// A plain, uncompressed repository with a snapshot of
    /// `src/{keep.txt, sub/a.txt, sub/b.txt}` (issue 17's repro).
    struct Setup {
        let directory: TemporaryDirectory
        let repo: String
        let source: String

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            source = directory.appending("src")
            try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
            try Data("keep\n".utf8).write(to: URL(fileURLWithPath: source + "/keep.txt"))
            try Data("a from the snapshot\n".utf8).write(to: URL(fileURLWithPath: source + "/sub/a.txt"))
            try Data("b from the snapshot\n".utf8).write(to: URL(fileURLWithPath: source + "/sub/b.txt"))
            let created = try vault.run(["init", "-r", repo, "--no-encryption", "--compression", "none"])
            #expect(created.status == 0, "\(created.standardError)")
            let backup = try vault.run(["backup", "-r", repo, source])
            #expect(backup.status == 0, "\(backup.standardError)")
        }

        /// Every pack file.
        func packs() throws -> [String] {
            var result: [String] = []
            for folder in try FileManager.default.contentsOfDirectory(atPath: repo + "/data") {
                for name in try FileManager.default.contentsOfDirectory(atPath: repo + "/data/" + folder) {
                    result.append(repo + "/data/" + folder + "/" + name)
                }
            }
            return result
        }

        /// Flips a byte of the tree blob of `sub`: in a plain, uncompressed
        /// repository it is the only blob holding the name `b.txt`.
        func damageSubTree() throws {
            var found = 0
            for path in try packs() {
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                let needle = Array("b.txt".utf8)
                guard let at = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle }) else { continue }
                bytes[at] ^= 0x01
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                found += 1
            }
            #expect(found == 1, "the name b.txt is in exactly one pack")
        }

        /// `out/sub/precious.txt` and an old `out/sub/a.txt`.
        func prepareTarget() throws -> String {
            let target = directory.appending("out")
            try FileManager.default.createDirectory(atPath: target + "/sub", withIntermediateDirectories: true)
            try Data("precious\n".utf8).write(to: URL(fileURLWithPath: target + "/sub/precious.txt"))
            try Data("the old a\n".utf8).write(to: URL(fileURLWithPath: target + "/sub/a.txt"))
            return target
        }
    }

    @Test("--delete and --overwrite leave a directory whose tree is damaged untouched, name it, and exit 1", arguments: [
        ["--delete"], ["--overwrite", "always"], ["--overwrite", "if-changed", "--delete"],
    ])
    func damagedTreeWithDelete(options: [String]) throws {
        let setup = try Setup(vault)
        try setup.damageSubTree()
        let target = try setup.prepareTarget()
        let result = try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest:\(setup.source)", "--target", target] + options)
        #expect(result.status == 1)
        #expect(result.standardError.contains("vault: error: \(target)/sub: cannot read the directory's contents"), "\(result.standardError)")
        #expect(!result.standardOutput.contains("deleted"), "\(result.standardOutput)")
        #expect(FileManager.default.contents(atPath: target + "/sub/precious.txt") == Data("precious\n".utf8))
        #expect(FileManager.default.contents(atPath: target + "/sub/a.txt") == Data("the old a\n".utf8))
        #expect(FileManager.default.contents(atPath: target + "/keep.txt") == Data("keep\n".utf8))
    }
}

extension RestoreTargetSafetyCommandTests {
    @Test("--dry-run prints what would be written, replaced and deleted, changes nothing, and exits 0")
    func dryRun() throws {
        let setup = try Setup(vault)
        let target = try setup.prepareTarget()
        let before = try FileManager.default.subpathsOfDirectory(atPath: target).sorted()
        let result = try vault.run([
            "restore", "-r", setup.repo, "--snapshot", "latest:\(setup.source)", "--target", target, "--delete", "--dry-run",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError == "")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(Array(lines.dropLast()) == [
            "write \(target)/keep.txt",
            "replace \(target)/sub/a.txt",
            "write \(target)/sub/b.txt",
            "delete \(target)/sub/precious.txt",
        ])
        #expect(lines.last?.hasPrefix("dry run of snapshot ") == true)
        #expect(lines.last?.contains("would write 2 entries, replace 1 (") == true, "\(lines)")
        #expect(lines.last?.contains("delete 1 entries not in the snapshot") == true, "\(lines)")
        #expect(lines.last?.hasSuffix("nothing was changed") == true)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: target).sorted() == before)
        #expect(FileManager.default.contents(atPath: target + "/sub/precious.txt") == Data("precious\n".utf8))
        #expect(FileManager.default.contents(atPath: target + "/sub/a.txt") == Data("the old a\n".utf8))
    }

    @Test("--dry-run with an unreadable directory names it and exits 1, changing nothing")
    func dryRunDamaged() throws {
        let setup = try Setup(vault)
        try setup.damageSubTree()
        let target = try setup.prepareTarget()
        let result = try vault.run([
            "restore", "-r", setup.repo, "--snapshot", "latest:\(setup.source)", "--target", target, "--delete", "--dry-run",
        ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("\(target)/sub: cannot read the directory's contents"))
        #expect(result.standardOutput.split(separator: "\n").first == "write \(target)/keep.txt")
        #expect(!FileManager.default.fileExists(atPath: target + "/keep.txt"))
    }
}

extension RestoreTargetSafetyCommandTests {
    /// Runs vault under `bash -c 'ulimit -f KIB; trap "" XFSZ; exec vault ...'`: writes past the
    /// limit fail with EFBIG, as on a full file system, instead of killing the process.
    func runWithFileSizeLimit(kibibytes: Int, _ arguments: [String]) throws -> VaultProcess.Result {
        let quoted = ([VaultProcess.executable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ulimit -f \(kibibytes); trap '' XFSZ; exec " + quoted.joined(separator: " ")]
        process.environment = vault.environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        nonisolated(unsafe) var errorData = Data()
        let reader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return VaultProcess.Result(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    @Test("a full restore target: an existing good file is never replaced by a partial one, and no temporary file remains")
    func fullTarget() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source + "/newdir", withIntermediateDirectories: true)
        try writeRandomFiles(count: 1, size: 3 << 20, in: source)  // random-0: larger than the limit
        try FileManager.default.moveItem(atPath: source + "/random-0", toPath: source + "/big.bin")
        try writeRandomFiles(count: 1, size: 3 << 20, in: source + "/newdir")
        try Data("small\n".utf8).write(to: URL(fileURLWithPath: source + "/small.txt"))
        #expect(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)
        #expect(try vault.run(["backup", "-r", repo, source]).status == 0)

        let target = directory.appending("target")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let good = Data("the good old version\n".utf8)
        try good.write(to: URL(fileURLWithPath: target + "/big.bin"))
        let result = try runWithFileSizeLimit(kibibytes: 1024, ["restore", "-r", repo, "--snapshot", "latest:\(source)", "--target", target])
        #expect(result.status == 1, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardError.contains("\(target)/big.bin: cannot write"), "\(result.standardError)")
        #expect(result.standardError.contains("\(target)/newdir/random-0: cannot write"), "\(result.standardError)")
        // The good file stands as it was; the file in the new directory is not left half-written.
        #expect(FileManager.default.contents(atPath: target + "/big.bin") == good)
        #expect(!FileManager.default.fileExists(atPath: target + "/newdir/random-0"))
        #expect(FileManager.default.contents(atPath: target + "/small.txt") == Data("small\n".utf8))
        let leftovers = (FileManager.default.subpaths(atPath: target) ?? []).filter { $0.contains(".vault-restore-") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // With room again, the restore completes.
        let again = try vault.run(["restore", "-r", repo, "--snapshot", "latest:\(source)", "--target", target, "--overwrite", "if-changed", "--verify"])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(FileManager.default.contents(atPath: target + "/big.bin") == FileManager.default.contents(atPath: source + "/big.bin"))
    }
}
