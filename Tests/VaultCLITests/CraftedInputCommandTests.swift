import Foundation
import VaultTestSupport
import Glibc
import Testing

/// Crashes found on valid or crafted input (issue 11, item 5 and 12), end to
/// end through the binary: each used to trap (exit 132) or lose data silently.
@Suite("vault on times past 2262 and before 1677, stray key files, unreadable xattrs")
struct CraftedInputCommandTests {
    /// tmpfs keeps any 64-bit time; ext4 does not (it clamps to 1901-2446).
    static let tmpfs = "/dev/shm"
    static var hasTmpfs: Bool { access(tmpfs, W_OK) == 0 }

    /// Sets a file's access and modification time to `seconds` since the epoch, not following links.
    private static func setTime(_ path: String, seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw POSIXError(.EINVAL) }
    }

    private static func modificationSeconds(_ path: String) -> Int {
        var status = stat()
        lstat(path, &status)
        return status.st_mtim.tv_sec
    }

    /// 1000-01-01 and 2300-01-01, as `touch -d` gives them.
    static let year1000 = -30_610_224_000
    static let year2300 = 10_413_792_000

    @Test("mtimes in 1000 and 2300: backup warns and exits 3; ls --long, find, ls --json and restore work",
          .enabled(if: hasTmpfs, "needs a tmpfs at /dev/shm"))
    func timesOutOfRange() throws {
        let directory = try TemporaryDirectory(in: Self.tmpfs)
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for name in ["old", "future", "normal"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        try Self.setTime(source + "/old", seconds: Self.year1000)
        try Self.setTime(source + "/future", seconds: Self.year2300)
        try #require(Self.modificationSeconds(source + "/old") == Self.year1000)
        try #require(Self.modificationSeconds(source + "/future") == Self.year2300)

        var vault = VaultProcess()
        vault.environment["TZ"] = "UTC"
        let repo = directory.appending("repo")
        try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)

        let backup = try vault.run(["backup", "-r", repo, source])
        #expect(backup.status == 3, "\(backup.standardError)")
        #expect(backup.standardError.contains("\(source)/old: its modification time 1000-01-01T00:00:00Z is outside"))
        #expect(backup.standardError.contains("\(source)/future: its modification time 2300-01-01T00:00:00Z is outside"))
        #expect(backup.standardOutput.contains("the snapshot is incomplete"))

        let long = try vault.run(["ls", "-r", repo, "latest:" + source, "--long"])
        #expect(long.status == 0, "\(long.standardError)")
        #expect(long.standardOutput.contains("1677-09-21 00:12:43  \(source)/old"))
        #expect(long.standardOutput.contains("2262-04-11 23:47:16  \(source)/future"))
        let json = try vault.run(["ls", "-r", repo, "latest:" + source, "--json"])
        #expect(json.status == 0, "\(json.standardError)")
        #expect(json.standardOutput.contains("\"mtime\":\"1677-09-21T00:12:43.145224192Z\""))
        for name in ["old", "future"] {
            let found = try vault.run(["find", "-r", repo, name])
            #expect(found.status == 0, "\(found.standardError)")
            #expect(found.standardOutput.contains("\(source)/\(name)"))
        }
        let snapshots = try vault.run(["snapshots", "-r", repo, "--json"])
        #expect(snapshots.status == 0)
        #expect(snapshots.standardOutput.contains("\"incomplete\":true"))

        // The next backup finds the files unchanged, and still says the times are not exact.
        let again = try vault.run(["backup", "-r", repo, source])
        #expect(again.status == 3, "\(again.standardError)")
        #expect(again.standardOutput.contains("0 changed"))

        let target = directory.appending("restored")
        let restore = try vault.run(["restore", "-r", repo, "--snapshot", "latest:" + source, "--target", target])
        #expect(restore.status == 0, "\(restore.standardError)")
        #expect(Self.modificationSeconds(target + "/old") == -9_223_372_037)
        #expect(Self.modificationSeconds(target + "/future") == 9_223_372_036)
        #expect(try String(contentsOfFile: target + "/future", encoding: .utf8) == "future")
    }

    @Test("a stray keys/readme: key list, snapshots and backup go on")
    func strayKeyFile() throws {
        let directory = try TemporaryDirectory()
        let repo = directory.appending("repo")
        let vault = VaultProcess()
        try #require(try vault.run(["init", "-r", repo, "--scrypt-n", "1024"]).status == 0)
        try Data("keys are named by their SHA-256\n".utf8).write(to: URL(fileURLWithPath: repo + "/keys/readme"))
        let list = try vault.run(["key", "list", "-r", repo])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(!list.standardOutput.contains("readme"))
        #expect(try vault.run(["snapshots", "-r", repo]).status == 0)
    }

    /// A directory path of about 4,000 bytes made with `mkdirat` (paths that
    /// long cannot be made in one call), holding a FIFO whose full path is
    /// longer than PATH_MAX: listing the directory works (relative to its
    /// descriptor), reading the FIFO's extended attributes by path fails
    /// with ENAMETOOLONG. That failure used to be dropped silently.
    @Test("extended attributes that cannot be read: a warning naming the file, exit 3")
    func unreadableExtendedAttributes() throws {
        let directory = try TemporaryDirectory()
        defer { Self.removeDeep(directory.path) }
        let source = directory.appending("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let component = String(repeating: "d", count: 200)
        var descriptor = open(source, O_RDONLY | O_DIRECTORY)
        try #require(descriptor >= 0)
        var path = source
        while path.utf8.count + 201 < 4_050 {
            try #require(mkdirat(descriptor, component, 0o755) == 0)
            let next = openat(descriptor, component, O_RDONLY | O_DIRECTORY)
            close(descriptor)
            try #require(next >= 0)
            descriptor = next
            path += "/" + component
        }
        let fifoName = String(repeating: "f", count: 4_100 - path.utf8.count - 1)  // the FIFO's path: 4,100 bytes
        try #require(mkfifoat(descriptor, fifoName, 0o644) == 0)
        close(descriptor)
        try #require(path.utf8.count + 1 + fifoName.utf8.count > Int(PATH_MAX))

        let repo = directory.appending("repo")
        let vault = VaultProcess()
        try #require(try vault.run(["init", "-r", repo, "--no-encryption"]).status == 0)
        let backup = try vault.run(["backup", "-r", repo, source])
        #expect(backup.status == 3, "\(backup.standardError)")
        #expect(backup.standardError.contains("\(fifoName): extended attributes could not be read"))
        #expect(backup.standardOutput.contains("the snapshot is incomplete"))
    }

    /// Removes a tree deeper than PATH_MAX (rm works relative to each directory).
    private static func removeDeep(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/rm")
        process.arguments = ["-rf", path]
        try? process.run()
        process.waitUntilExit()
    }
}
