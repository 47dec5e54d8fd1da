import Foundation
import VaultTestSupport
import Glibc
import Testing

/// Options of `vault backup`, `restore` and `mirror` as a user types them,
/// each checked for what it must do (issue 17, "Add").
@Suite("vault: backup, restore and mirror options")
struct CommandOptionsTests {
    let vault = VaultProcess()

    /// A repository and a source tree in a temporary directory.
    struct Setup {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var source: String { directory.appending("src") }

        init(_ vault: VaultProcess, encrypted: Bool = true) throws {
            directory = try TemporaryDirectory()
            for folder in ["sub", "cache", "notcache", "build"] {
                try FileManager.default.createDirectory(atPath: directory.appending("src/\(folder)"), withIntermediateDirectories: true)
            }
            for (path, text) in [
                ("keep.txt", "keep"), ("scratch.tmp", "tmp"), ("sub/inner.txt", "inner"), ("sub/inner.tmp", "tmp"),
                ("cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"), ("cache/blob", "cached"),
                ("notcache/CACHEDIR.TAG", "not the signature"), ("build/out.o", "object"),
            ] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: directory.appending("src/" + path)))
            }
            let created = try vault.run(["init", "-r", directory.appending("repo"), "--scrypt-n", "1024"] + (encrypted ? [] : ["--no-encryption"]))
            try #require(created.status == 0, "\(created.standardError)")
        }

        /// The files below a directory, relative, sorted.
        func files(below root: String) -> [String] {
            (FileManager.default.subpaths(atPath: root) ?? []).filter {
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
            }.sorted()
        }
    }

    @Test("backup --exclude by name and by path, and --exclude-caches")
    func excludes() throws {
        let setup = try Setup(vault)
        let backup = try vault.run([
            "backup", "-r", setup.repo, setup.source, "--exclude", "*.tmp", "--exclude", "\(setup.source)/build", "--exclude-caches",
        ])
        #expect(backup.status == 0, "\(backup.standardError)")
        let target = setup.directory.appending("out")
        #expect(try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest:\(setup.source)", "--target", target]).status == 0)
        #expect(setup.files(below: target) == ["cache/CACHEDIR.TAG", "keep.txt", "notcache/CACHEDIR.TAG", "sub/inner.txt"])
        #expect(FileManager.default.fileExists(atPath: target + "/cache"), "a cache directory is kept, empty but for its tag")
    }

    @Test("restore --include, --exclude and --overwrite never / if-changed / always")
    func restoreSelectionAndOverwrite() throws {
        let setup = try Setup(vault)
        #expect(try vault.run(["backup", "-r", setup.repo, setup.source]).status == 0)
        let snapshot = "latest:\(setup.source)"

        let selected = setup.directory.appending("selected")
        let include = try vault.run(["restore", "-r", setup.repo, "--snapshot", snapshot, "--target", selected, "--include", "*.txt", "--exclude", "sub"])
        #expect(include.status == 0, "\(include.standardError)")
        #expect(setup.files(below: selected) == ["keep.txt"])

        let target = setup.directory.appending("out")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: target + "/keep.txt"))
        let never = try vault.run(["restore", "-r", setup.repo, "--snapshot", snapshot, "--target", target, "--overwrite", "never"])
        #expect(never.status == 0, "\(never.standardError)")
        #expect(never.standardOutput.contains("kept 1 existing entries (--overwrite never)"))
        #expect(FileManager.default.contents(atPath: target + "/keep.txt") == Data("mine".utf8))

        let always = try vault.run(["restore", "-r", setup.repo, "--snapshot", snapshot, "--target", target, "--overwrite", "always"])
        #expect(always.status == 0)
        #expect(FileManager.default.contents(atPath: target + "/keep.txt") == Data("keep".utf8))

        let again = try vault.run(["restore", "-r", setup.repo, "--snapshot", snapshot, "--target", target, "--overwrite", "if-changed"])
        #expect(again.status == 0)
        #expect(again.standardOutput.contains("files: 0 written"), "\(again.standardOutput)")
        #expect(again.standardOutput.contains("8 unchanged"), "\(again.standardOutput)")
    }

    @Test("mirror --dry-run copies and removes nothing; --delete removes what the source forgot")
    func mirrorDryRunAndDelete() throws {
        let setup = try Setup(vault)
        #expect(try vault.run(["backup", "-r", setup.repo, setup.source]).status == 0)
        let mirror = setup.directory.appending("mirror")
        #expect(try vault.run(["mirror", "-r", setup.repo, mirror, "--create"]).status == 0)
        let before = setup.files(below: mirror).filter { !$0.hasPrefix("locks/") }

        // A second snapshot: a dry run says what it would copy, and copies nothing.
        try Data("new".utf8).write(to: URL(fileURLWithPath: setup.source + "/new.txt"))
        #expect(try vault.run(["backup", "-r", setup.repo, setup.source]).status == 0)
        let dry = try vault.run(["mirror", "-r", setup.repo, mirror, "--dry-run"])
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.hasPrefix("would copy "), "\(dry.standardOutput)")
        #expect(!dry.standardOutput.hasPrefix("would copy 0 "))
        #expect(setup.files(below: mirror).filter { !$0.hasPrefix("locks/") } == before)
        #expect(try vault.run(["mirror", "-r", setup.repo, mirror]).status == 0)

        // The source forgets the first snapshot: without --delete the mirror refuses; a dry run removes nothing.
        let snapshots = entries(of: setup.repo + "/snapshots")
        try #require(snapshots.count == 2)
        let listed = try vault.run(["snapshots", "-r", setup.repo, "--json"]).standardOutput
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
        // The first snapshot is the one without a parent.
        let first = try #require(objects.first { $0["parent"] == nil || $0["parent"] is NSNull }?["id"] as? String)
        try FileManager.default.removeItem(atPath: setup.repo + "/snapshots/" + first)
        let refused = try vault.run(["mirror", "-r", setup.repo, mirror])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("--delete"), "\(refused.standardError)")
        let dryDelete = try vault.run(["mirror", "-r", setup.repo, mirror, "--delete", "--dry-run"])
        #expect(dryDelete.status == 0, "\(dryDelete.standardError)")
        #expect(dryDelete.standardOutput.contains("would remove 1"), "\(dryDelete.standardOutput)")
        #expect(entries(of: mirror + "/snapshots").contains(first))
        let delete = try vault.run(["mirror", "-r", setup.repo, mirror, "--delete"])
        #expect(delete.status == 0, "\(delete.standardError)")
        #expect(delete.standardOutput.contains("removed 1"), "\(delete.standardOutput)")
        #expect(entries(of: mirror + "/snapshots") == entries(of: setup.repo + "/snapshots"))
    }

    @Test("VAULT_PASSWORD_FILE gives the password; a wrong one exits 12; a missing file is one line")
    func passwordFile() throws {
        let setup = try Setup(vault)
        let file = setup.directory.appending("password")
        try Data("test password\n".utf8).write(to: URL(fileURLWithPath: file))
        var fromFile = vault
        fromFile.environment = ["VAULT_PASSWORD_FILE": file, "PATH": "/usr/bin:/bin"]
        let backup = try fromFile.run(["backup", "-r", setup.repo, setup.source])
        #expect(backup.status == 0, "\(backup.standardError)")

        try Data("wrong\n".utf8).write(to: URL(fileURLWithPath: file))
        let wrong = try fromFile.run(["snapshots", "-r", setup.repo])
        #expect(wrong.status == 12, "\(wrong.standardError)")
        #expect(wrong.standardError.hasPrefix("vault: "))

        fromFile.environment["VAULT_PASSWORD_FILE"] = setup.directory.appending("no-such-file")
        let missing = try fromFile.run(["snapshots", "-r", setup.repo])
        #expect(missing.status != 0)
        #expect(missing.standardError.hasPrefix("vault: ") && missing.standardError.split(separator: "\n").count == 1, "\(missing.standardError)")
        #expect(missing.standardError.contains("VAULT_PASSWORD_FILE"))
    }

    @Test("SIGTERM mid-stream ends a backup with 130 and no snapshot")
    func sigterm() throws {
        let setup = try Setup(vault)
        let backup = try VaultStreamingProcess(vault, ["backup", "-r", setup.repo, "--stdin", "--stdin-filename", "s.bin"], directory: setup.directory)
        try backup.write(randomBytes(2 << 20, seed: 3))
        backup.signal(SIGTERM)
        backup.wait(seconds: 20)
        #expect(backup.status == 130, "\(backup.standardError)")
        #expect(entries(of: setup.repo + "/snapshots").isEmpty)
        #expect(entries(of: setup.repo + "/locks").isEmpty)
        try? backup.closeInput()
    }

    @Test("a file whose size changes while it is read is stored as read and flagged, with a warning")
    func changedWhileRead() throws {
        // A procfs file reports size 0 and reads as more: it never reads back the size it had.
        let path = "/proc/uptime"
        try #require(FileManager.default.fileExists(atPath: path))
        let setup = try Setup(vault)
        let backup = try vault.run(["backup", "-r", setup.repo, path, "--json"])
        #expect(backup.status == 0, "\(backup.standardError)")
        #expect(backup.standardError.contains("vault: warning: \(path): changed while it was read; stored as read"), "\(backup.standardError)")
        let listing = try vault.run(["ls", "-r", setup.repo, "latest:/proc", "--json"])
        #expect(listing.status == 0, "\(listing.standardError)")
        #expect(listing.standardOutput.contains("uptime"))
        let target = setup.directory.appending("out")
        #expect(try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest", "--target", target]).status == 0)
        let restored = try String(contentsOfFile: target + path, encoding: .utf8)
        #expect(restored.contains(".") && restored.hasSuffix("\n"), "stored as read: \(restored)")
    }

    @Test("--one-file-system leaves out what is mounted inside the source, and records the mount point")
    func oneFileSystem() throws {
        try #require(geteuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let setup = try Setup(vault)
        let mountPoint = setup.source + "/mounted"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=4m", "vault-test", mountPoint]
        try mounted.run()
        mounted.waitUntilExit()
        try #require(mounted.terminationStatus == 0, "cannot mount a tmpfs here")
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [mountPoint]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        try Data("on another file system".utf8).write(to: URL(fileURLWithPath: mountPoint + "/other.txt"))

        #expect(try vault.run(["backup", "-r", setup.repo, setup.source, "--one-file-system", "--tag", "one"]).status == 0)
        #expect(try vault.run(["backup", "-r", setup.repo, setup.source, "--full", "--tag", "all"]).status == 0)
        let snapshots = try vault.run(["snapshots", "-r", setup.repo, "--json"]).standardOutput
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(snapshots.utf8)) as? [[String: Any]])
        func id(tagged tag: String) throws -> String {
            try #require(objects.first { ($0["tags"] as? [String]) == [tag] }?["id"] as? String)
        }
        let one = setup.directory.appending("one")
        #expect(try vault.run(["restore", "-r", setup.repo, "--snapshot", "\(try id(tagged: "one")):\(setup.source)", "--target", one]).status == 0)
        #expect(FileManager.default.fileExists(atPath: one + "/mounted"), "the mount point is recorded")
        #expect(entries(of: one + "/mounted").isEmpty, "what is mounted there is not")
        #expect(FileManager.default.contents(atPath: one + "/keep.txt") == Data("keep".utf8))
        let all = setup.directory.appending("all")
        #expect(try vault.run(["restore", "-r", setup.repo, "--snapshot", "\(try id(tagged: "all")):\(setup.source)", "--target", all]).status == 0)
        #expect(FileManager.default.contents(atPath: all + "/mounted/other.txt") == Data("on another file system".utf8))
    }
}
