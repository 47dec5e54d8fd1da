import Foundation
import VaultTestSupport
import Glibc
import Testing

/// End-to-end tests of `vault restore`.
@Suite("vault restore")
struct RestoreCommandTests {
    let vault = VaultProcess()
    let fastKDF = ["--scrypt-n", "1024"]

    /// A repository with one snapshot of a small tree.
    struct Setup {
        let directory: TemporaryDirectory
        let repo: String
        let source: String

        init(_ vault: VaultProcess, fastKDF: [String]) throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            source = directory.appending("src")
            try FileManager.default.createDirectory(atPath: source + "/docs", withIntermediateDirectories: true)
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: source + "/hello.txt"))
            try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: source + "/docs/big"))
            let created = try vault.run(["init", "-r", repo] + fastKDF)
            #expect(created.status == 0, "\(created.standardError)")
            let backup = try vault.run(["backup", "-r", repo, source])
            #expect(backup.status == 0, "\(backup.standardError)")
        }
    }

    @Test("restore writes the snapshot under the target, with --verify counting the files it read back")
    func roundTrip() throws {
        let setup = try Setup(vault, fastKDF: fastKDF)
        let target = setup.directory.appending("target")
        let result = try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest", "--target", target, "--verify"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError == "")
        #expect(result.standardOutput.contains("restored snapshot "))
        #expect(result.standardOutput.contains("files: 2 written"))
        #expect(result.standardOutput.contains("verified 2 files (293.0 KiB): all match the snapshot"))
        #expect(FileManager.default.contents(atPath: target + setup.source + "/hello.txt") == Data("hello\n".utf8))

        let subpath = setup.directory.appending("sub")
        let second = try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest:\(setup.source)/docs", "--target", subpath])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: subpath) == ["big"])
    }

    @Test("unknown and malformed snapshots, missing options and paths are one-line errors", arguments: [
        (["--snapshot", "deadbeef", "--target", "T"], 1, "vault: no snapshot deadbeef\n"),
        (["--snapshot", "no-such-thing!", "--target", "T"], 64, "vault: invalid snapshot 'no-such-thing!': give an ID, a prefix of one, 'latest' or 'last-clean'\n"),
        (["--snapshot", "latest"], 64, "vault: missing --target: give the directory to restore into\n"),
        (["--target", "T"], 64, "vault: missing --snapshot: give a snapshot ID, a prefix of one, or 'latest'\n"),
        (["--snapshot", "latest:/no/such/path", "--target", "T"], 1, nil),
    ])
    func errors(arguments: [String], status: Int32, message: String?) throws {
        let setup = try Setup(vault, fastKDF: fastKDF)
        let target = setup.directory.appending("target")
        let result = try vault.run(["restore", "-r", setup.repo] + arguments.map { $0 == "T" ? target : $0 })
        #expect(result.status == status)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("vault: "))
        if let message {
            #expect(result.standardError == message)
        }
        #expect(!FileManager.default.fileExists(atPath: target + setup.source))
    }

    @Test("an ambiguous ID prefix is a one-line error")
    func ambiguous() throws {
        let setup = try Setup(vault, fastKDF: fastKDF)
        // 17 snapshots: two of them share a first hex digit.
        for _ in 0..<16 {
            #expect(try vault.run(["backup", "-r", setup.repo, setup.source]).status == 0)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/snapshots")
        let prefix = try #require(Dictionary(grouping: names, by: { $0.prefix(1) }).first { $0.value.count > 1 }?.key)
        let result = try vault.run(["restore", "-r", setup.repo, "--snapshot", String(prefix), "--target", setup.directory.appending("t")])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("vault: snapshot ID \(prefix) is ambiguous: it matches "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("an invalid --overwrite is a usage error")
    func badOverwrite() throws {
        let result = try vault.run(["restore", "-r", "/nonexistent", "--snapshot", "latest", "--target", "/tmp/x", "--overwrite", "sometimes"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("sometimes"))
    }

    @Test("with one data pack damaged, the files it holds are named, every other file is restored bit-exact, and the exit code is 1")
    func onePackDamaged() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeRandomFiles(count: 6, size: 700_000, in: source)
        #expect(try vault.run(["init", "-r", repo, "--pack-size", "1M", "--chunk-sizes", "64K,256K,1M"] + fastKDF).status == 0)
        #expect(try vault.run(["backup", "-r", repo, source]).status == 0)
        // The largest pack is a data pack (the tree pack is small).
        var packs: [(path: String, size: Int)] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: repo + "/data") {
            for name in try FileManager.default.contentsOfDirectory(atPath: repo + "/data/" + folder) {
                let path = repo + "/data/" + folder + "/" + name
                packs.append((path, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0))
            }
        }
        try #require(packs.count >= 4)
        let damaged = try #require(packs.max { $0.size < $1.size }?.path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        bytes[bytes.count / 3] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: damaged))

        let target = directory.appending("target")
        let result = try vault.run(["restore", "-r", repo, "--snapshot", "latest:\(source)", "--target", target])
        #expect(result.status == 1)
        let named = Set(result.standardError.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("vault: error: \(target)/") else { return nil }
            return String(line.dropFirst("vault: error: \(target)/".count).prefix { $0 != ":" })
        })
        let names = try FileManager.default.contentsOfDirectory(atPath: source)
        #expect(!named.isEmpty && named.count < names.count, "\(result.standardError)")
        for name in names {
            if named.contains(name) {
                #expect(!FileManager.default.fileExists(atPath: target + "/" + name), "\(name): no partial file")
            } else {
                #expect(FileManager.default.contents(atPath: target + "/" + name) == FileManager.default.contents(atPath: source + "/" + name), "\(name)")
            }
        }
        #expect(result.standardOutput.contains("\(named.count) entries could not be restored completely"))
    }

    @Test("files that cannot be restored are named, the others restored, and the exit code is 1")
    func problemsGiveExitCode1() throws {
        let setup = try Setup(vault, fastKDF: fastKDF)
        // Damage every data pack: flip a byte in each file under data/.
        let data = setup.repo + "/data"
        var damaged = 0
        for folder in try FileManager.default.contentsOfDirectory(atPath: data) {
            for name in try FileManager.default.contentsOfDirectory(atPath: data + "/" + folder) {
                let path = data + "/" + folder + "/" + name
                var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                bytes[0] ^= 0xFF
                try bytes.write(to: URL(fileURLWithPath: path))
                damaged += 1
            }
        }
        #expect(damaged >= 1)
        let target = setup.directory.appending("target")
        let result = try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest", "--target", target])
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("vault: error: \(target)") && $0.contains("damaged") }, "\(lines)")
        #expect(result.standardOutput.contains("entries could not be restored completely"))
    }

    @Test("as an ordinary user, files are restored as that user's, without set-ID bits, devices or privileged attributes")
    func nonRoot() throws {
        try #require(geteuid() == 0, "this test needs root to prepare the snapshot")
        let setpriv = try #require(["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }, "setpriv is missing")
        let directory = try TemporaryDirectory()
        #expect(chmod(directory.path, 0o755) == 0)
        let repo = directory.appending("repo")
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source + "/readonly", withIntermediateDirectories: true)
        try Data("setuid".utf8).write(to: URL(fileURLWithPath: source + "/setuid"))
        #expect(chmod(source + "/setuid", 0o4755) == 0)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: source + "/readonly/inside"))
        #expect(chmod(source + "/readonly", 0o555) == 0)
        #expect(mkfifo(source + "/fifo", 0o640) == 0)
        #expect(mknod(source + "/null", S_IFCHR | 0o666, 0x103) == 0)
        try Data("attributes".utf8).write(to: URL(fileURLWithPath: source + "/attributes"))
        let hasTrusted = ExtendedAttributes.set(source + "/attributes", "trusted.secret", "root only")
        let hasUser = ExtendedAttributes.set(source + "/attributes", "user.note", "anyone")
        // Under CI the file system must take user attributes, or the check below would quietly expect none.
        try #require(hasUser || ProcessInfo.processInfo.environment["CI"] != "true", "CI=true: user.* extended attributes must work")
        #expect(try vault.run(["init", "-r", repo] + fastKDF).status == 0)
        #expect(try vault.run(["backup", "-r", repo, source]).status == 0)
        // Let the ordinary user read the repository and take locks in it.
        let opened = try Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "a+rwX", repo])
        opened.waitUntilExit()
        let binary = directory.appending("vault")
        try FileManager.default.copyItem(atPath: VaultProcess.executable.path, toPath: binary)
        let target = directory.appending("target")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        #expect(chmod(target, 0o777) == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "restore", "-r", repo,
                             "--snapshot", "latest:\(source)", "--target", target, "--verify"]
        process.environment = ["VAULT_PASSWORD": "test password", "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let standardOutput = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let standardError = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(standardError)")
        #expect(standardError == "")
        #expect(standardOutput.contains("skipped 1 device files: creating them needs root"))
        #expect(standardOutput.contains("verified 3 files"))

        func status(_ name: String) throws -> stat {
            var result = stat()
            guard lstat(target + "/" + name, &result) == 0 else { throw CocoaError(.fileNoSuchFile) }
            return result
        }
        #expect(try status("setuid").st_uid == 65534)
        #expect(try status("setuid").st_mode & 0o7777 == 0o755)
        #expect(try status("readonly").st_mode & 0o7777 == 0o555)
        #expect(FileManager.default.contents(atPath: target + "/readonly/inside") == Data("inside".utf8))
        #expect(try status("fifo").st_mode & S_IFMT == S_IFIFO)
        #expect(!FileManager.default.fileExists(atPath: target + "/null"))
        #expect(hasTrusted)
        #expect(ExtendedAttributes.get(target + "/attributes", "trusted.secret") == nil)
        #expect(ExtendedAttributes.get(target + "/attributes", "user.note") == (hasUser ? "anyone" : nil))
    }
}

/// `setxattr` and `getxattr`, found at run time: the Glibc module does not declare them.
enum ExtendedAttributes {
    private typealias Set = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias Get = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int

    /// Sets an attribute; returns whether it worked.
    static func set(_ path: String, _ name: String, _ value: String) -> Bool {
        let function = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setxattr"), to: Set.self)
        return Array(value.utf8).withUnsafeBytes { function(path, name, $0.baseAddress, $0.count, 0) } == 0
    }

    /// An attribute's value, or `nil`.
    static func get(_ path: String, _ name: String) -> String? {
        let function = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getxattr"), to: Get.self)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { function(path, name, $0.baseAddress, $0.count) }
        return count < 0 ? nil : String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
