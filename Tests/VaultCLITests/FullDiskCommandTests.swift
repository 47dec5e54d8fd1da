import Foundation
import VaultTestSupport
import Glibc
import Testing

/// Real full disks: a small tmpfs as the repository, and as the restore
/// target (root only: CI runs as root).
@Suite("vault: full disks")
struct FullDiskCommandTests {
    let vault = VaultProcess()

    /// A tmpfs of `megabytes` mounted at `path` until the returned value is released.
    final class Mount {
        let path: String
        init(at path: String, megabytes: Int) throws {
            self.path = path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let mount = Process()
            mount.executableURL = URL(fileURLWithPath: "/bin/mount")
            mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m", "vault-full-disk", path]
            try mount.run()
            mount.waitUntilExit()
            try #require(mount.terminationStatus == 0, "cannot mount a tmpfs here")
        }
        deinit {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [path]
            try? unmount.run()
            unmount.waitUntilExit()
        }
    }

    @Test("a backup into a full repository fails with one line, writes no snapshot, and the repository stays sound")
    func fullRepository() throws {
        try #require(geteuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let directory = try TemporaryDirectory()
        let mount = try Mount(at: directory.appending("disk"), megabytes: 4)
        let repo = mount.path + "/repo"
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data("small and precious\n".utf8).write(to: URL(fileURLWithPath: source + "/a.txt"))
        #expect(try vault.run(["init", "-r", repo, "--scrypt-n", "1024", "--pack-size", "1M"]).status == 0)
        #expect(try vault.run(["backup", "-r", repo, source]).status == 0)
        let snapshotA = entries(of: repo + "/snapshots")
        try #require(snapshotA.count == 1)

        try writeRandomFiles(count: 8, size: 1 << 20, in: source)
        let full = try vault.run(["backup", "-r", repo, source])
        #expect(full.status == 1, "\(full.standardOutput)\(full.standardError)")
        #expect(full.standardError.hasPrefix("vault: "), "\(full.standardError)")
        #expect(full.standardError.contains("No space left on device"), "\(full.standardError)")
        #expect(entries(of: repo + "/snapshots") == snapshotA)
        #expect(entries(of: repo + "/locks").isEmpty)

        let verify = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
        let target = directory.appending("restored")
        let restore = try vault.run(["restore", "-r", repo, "--snapshot", "\(snapshotA[0]):\(source)", "--target", target, "--verify"])
        #expect(restore.status == 0, "\(restore.standardError)")
        #expect(FileManager.default.contents(atPath: target + "/a.txt") == Data("small and precious\n".utf8))
    }

    @Test("a restore onto a full file system keeps the good files it meets and leaves no temporary file")
    func fullTarget() throws {
        try #require(geteuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeRandomFiles(count: 6, size: 1 << 20, in: source)
        #expect(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)
        #expect(try vault.run(["backup", "-r", repo, source]).status == 0)

        let mount = try Mount(at: directory.appending("disk"), megabytes: 3)
        let target = mount.path
        // Good files already there, each to be replaced by a 1 MiB one.
        for index in 0..<6 {
            try Data("good \(index)\n".utf8).write(to: URL(fileURLWithPath: target + "/random-\(index)"))
        }
        let result = try vault.run(["restore", "-r", repo, "--snapshot", "latest:\(source)", "--target", target])
        #expect(result.status == 1, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardError.contains("No space left on device"), "\(result.standardError)")
        var replaced = 0
        for index in 0..<6 {
            let restored = FileManager.default.contents(atPath: target + "/random-\(index)")
            if restored == Data("good \(index)\n".utf8) { continue }
            // Replaced only by the complete file.
            #expect(restored == FileManager.default.contents(atPath: source + "/random-\(index)"), "random-\(index)")
            replaced += 1
        }
        #expect(replaced < 6)
        #expect(entries(of: target).filter { $0.hasPrefix(".vault-restore-") }.isEmpty, "\(entries(of: target))")
    }
}
