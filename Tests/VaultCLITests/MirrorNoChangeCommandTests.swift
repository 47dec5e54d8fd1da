import Foundation
import VaultTestSupport
import Testing

/// `vault mirror` when the mirror is already complete: decided from
/// listings before the key is derived, and only then.
@Suite("vault mirror, no change")
struct MirrorNoChangeCommandTests {
    let vault = VaultProcess()

    /// A repository and a complete mirror of it.
    func completeMirror() throws -> MirrorCommandTests.Setup {
        let setup = try MirrorCommandTests.Setup(vault, megabytes: 1)
        try #require(try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--create"]).status == 0)
        return setup
    }

    @Test("a complete mirror needs no key; once the source has something new, a wrong password is refused again (exit 12)")
    func noChangeNeedsNoKeyButAChangeDoes() throws {
        let setup = try completeMirror()
        let objects = try setup.files(below: setup.repo).count - 1  // config is not counted
        let wrong = VaultProcess(environment: ["VAULT_PASSWORD": "wrong", "PATH": "/usr/bin:/bin"])
        let unchanged = try wrong.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(unchanged.status == 0, "\(unchanged.standardError)")
        #expect(unchanged.standardOutput.hasPrefix("copied 0 objects (0 B), \(objects) already there in "), "\(unchanged.standardOutput)")
        let dryRun = try wrong.run(["mirror", "-r", setup.repo, setup.mirror, "--delete", "--dry-run"])
        #expect(dryRun.standardOutput == "would copy 0 objects (0 B), \(objects) already there, would remove 0\n")
        #expect(try setup.files(below: setup.mirror) == setup.files(below: setup.repo))

        try FileManager.default.createDirectory(atPath: setup.source + "/more", withIntermediateDirectories: true)
        try writeRandomFiles(count: 1, size: 1 << 16, in: setup.source + "/more")
        try #require(try vault.run(["backup", "-r", setup.repo, setup.source]).status == 0)
        let refused = try wrong.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(refused.status == 12, "\(refused.standardOutput)")
        let copied = try vault.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(copied.status == 0)
        #expect(copied.standardOutput.hasPrefix("copied "), "\(copied.standardOutput)")
        #expect(!copied.standardOutput.hasPrefix("copied 0 "), "\(copied.standardOutput)")
        #expect(try setup.files(below: setup.mirror) == setup.files(below: setup.repo))
    }

    @Test("a lock held on either side still stops a mirror with nothing to copy (exit 11)", arguments: [true, false])
    func aLockStillStopsIt(onSource: Bool) throws {
        let setup = try completeMirror()
        let locked = onSource ? setup.repo : setup.mirror
        let holder = try vault.start(["debug", "lock", "-r", locked, "--exclusive", "--hold-ms", "30000"])
        defer {
            holder.terminate()
            holder.waitUntilExit()
        }
        let locks = locked + "/locks"
        for _ in 0..<500 where ((try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []).isEmpty {
            usleep(10_000)
        }
        try #require(!(try FileManager.default.contentsOfDirectory(atPath: locks)).isEmpty)
        let result = try vault.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(result.status == 11, "\(result.standardOutput) \(result.standardError)")
        #expect(result.standardError.contains("locked"))
    }

    @Test("a complete mirror holding a stray file is still refused as foreign; --verify still verifies it")
    func strayFileAndVerifyTakeTheFullRun() throws {
        let setup = try completeMirror()
        let verified = try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--verify"])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("mirror: no errors were found"), "\(verified.standardOutput)")
        try Data("not an object".utf8).write(to: URL(fileURLWithPath: setup.mirror + "/README"))
        let refused = try vault.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(refused.status == 1, "\(refused.standardOutput)")
        #expect(refused.standardError.contains("refusing to mirror into it"), "\(refused.standardError)")
    }
}
