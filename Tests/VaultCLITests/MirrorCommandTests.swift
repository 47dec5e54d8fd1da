import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of `vault mirror` and `vault verify --repair-from`.
@Suite("vault mirror")
struct MirrorCommandTests {
    let vault = VaultProcess()

    struct Setup {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var mirror: String { directory.appending("mirror") }
        var source: String { directory.appending("source") }

        init(_ vault: VaultProcess, megabytes: Int = 3) throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.appending("source"), withIntermediateDirectories: true)
            try writeRandomFiles(count: megabytes, size: 1 << 20, in: directory.appending("source"))
            try #require(try vault.run(["init", "-r", directory.appending("repo"), "--scrypt-n", "1024", "--pack-size", "1M"]).status == 0)
            try #require(try vault.run(["backup", "-r", directory.appending("repo"), directory.appending("source")]).status == 0)
        }

        /// Every object file below a folder with its contents, for comparing two repositories byte for byte
        /// (temporary files a killed writer left are not objects).
        func files(below root: String) throws -> [String: Data] {
            var result: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let relative = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = root + "/" + relative
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue, !relative.hasPrefix("locks/"),
                   !(relative.split(separator: "/").last ?? "").hasPrefix(".tmp-") {
                    result[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
                }
            }
            return result
        }
    }

    @Test("the first mirror copies everything, verifies, and the mirror works without the source")
    func firstMirror() throws {
        let setup = try Setup(vault)
        let result = try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--create", "--verify=read-data"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("mirror: no errors were found"))
        #expect(try setup.files(below: setup.mirror) == setup.files(below: setup.repo))
        let again = try vault.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(again.standardOutput.hasPrefix("copied 0 objects"))
        try FileManager.default.removeItem(atPath: setup.repo)
        let verify = try vault.run(["verify", "-r", setup.mirror, "--read-data"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    @Test("a missing destination is refused without --create, and nothing is created")
    func missingDestination() throws {
        let setup = try Setup(vault, megabytes: 1)
        let result = try vault.run(["mirror", "-r", setup.repo, setup.mirror])
        #expect(result.status == 1)
        #expect(result.standardError.contains("--create"))
        #expect(!FileManager.default.fileExists(atPath: setup.mirror))
    }

    /// The pack files below a repository's `data`.
    static func packs(in repository: String) -> [String] {
        entries(of: repository + "/data").flatMap { folder in
            entries(of: repository + "/data/" + folder).filter { !$0.hasPrefix(".tmp-") }
        }
    }

    @Test("a mirror killed with SIGKILL mid-copy leaves a mirror that verifies, then resumes and ends identical to the source")
    func killedMirrorResumes() throws {
        let setup = try Setup(vault, megabytes: 24)
        let sourcePacks = Self.packs(in: setup.repo)
        try #require(sourcePacks.count >= 20)
        let process = try vault.start(["mirror", "-r", setup.repo, setup.mirror, "--create"])
        // Kill it as soon as the first pack is in place: mid-copy.
        var waited = 0
        while Self.packs(in: setup.mirror).isEmpty, waited < 10_000 {
            usleep(500)
            waited += 1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let copied = Self.packs(in: setup.mirror)
        #expect(!copied.isEmpty && copied.count < sourcePacks.count, "the kill landed mid-copy: \(copied.count) of \(sourcePacks.count) packs")
        #expect(entries(of: setup.mirror + "/snapshots").isEmpty, "no snapshot before its data")
        // The half-copied mirror is a consistent repository: it verifies, reading every pack it has.
        let halfway = try vault.run(["verify", "-r", setup.mirror, "--read-data"])
        #expect(halfway.status == 0, "\(halfway.standardOutput)\(halfway.standardError)")
        let resumed = try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--verify"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try setup.files(below: setup.mirror) == setup.files(below: setup.repo))
    }

    @Test("a damaged source pack: exit 4, the pack named and not copied, every other object copied")
    func damagedSourcePack() throws {
        let setup = try Setup(vault)
        let pack = try #require(Self.packs(in: setup.repo).first)
        let path = setup.repo + "/data/" + pack.prefix(2) + "/" + pack
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let result = try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--create"])
        #expect(result.status == 4, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardError.contains("data/\(pack) is damaged in the source"), "\(result.standardError)")
        var expected = try setup.files(below: setup.repo)
        expected.removeValue(forKey: "data/\(pack.prefix(2))/\(pack)")
        #expect(try setup.files(below: setup.mirror) == expected)
    }

    @Test("verify --repair-from heals a damaged pack from the mirror")
    func repair() throws {
        let setup = try Setup(vault)
        #expect(try vault.run(["mirror", "-r", setup.repo, setup.mirror, "--create"]).status == 0)
        let shard = try #require(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/data").first {
            !(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/data/" + $0)).isEmpty
        })
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: setup.repo + "/data/" + shard).first)
        let path = setup.repo + "/data/" + shard + "/" + pack
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let damaged = try vault.run(["verify", "-r", setup.repo, "--read-data"])
        #expect(damaged.status == 4)
        let repaired = try vault.run(["verify", "-r", setup.repo, "--read-data", "--repair-from", setup.mirror])
        #expect(repaired.status == 0, "\(repaired.standardOutput)\(repaired.standardError)")
        #expect(repaired.standardOutput.contains("repaired data/\(pack)"))
        #expect(try vault.run(["verify", "-r", setup.repo, "--read-data"]).status == 0)
    }
}
