import Foundation
import Testing
import VaultTestSupport
import VaultStorage
import VaultStorageTesting
@testable import VaultStorageS3

/// vault end to end on a real S3 server: the commands a user runs.
@Suite("vault on S3", .timeLimit(.minutes(5)))
struct S3CommandTests {
    @Test("init, backup, incremental backup, restore bit-exact, verify --read-data, mirror both ways, repair from S3")
    func endToEnd() async throws {
        let server = try await SeaweedServer.sharedServer()
        let vault = VaultProcess(server)
        let scratch = try ScratchFolder()
        let source = scratch.appending("source")
        try writeFiles(in: source, sizes: [0, 1, 5_000, 3 << 20, 1 << 20, 200_000], seed: 1)
        let bucket = uniqueName("e2e")
        let repo = "s3:\(server.endpoint)/\(bucket)/main"

        let initialized = try vault.run(["init", "-r", repo])
        #expect(initialized.status == 0, "\(initialized.standardError)")
        let first = try vault.run(["backup", "-r", repo, source])
        #expect(first.status == 0, "\(first.standardError)")
        try writeFiles(in: source + "/more", sizes: [70_000, 2 << 20], seed: 2)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: source + "/file-2.bin"))
        let second = try vault.run(["backup", "-r", repo, "--json", source])
        #expect(second.status == 0, "\(second.standardError)")
        let snapshots = try vault.run(["snapshots", "-r", repo])
        #expect(snapshots.status == 0 && snapshots.standardOutput.split(separator: "\n").count >= 2, "\(snapshots)")

        let target = scratch.appending("restored")
        let restored = try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", target])
        #expect(restored.status == 0, "\(restored.standardError)")
        #expect(try contentsOfTree(target + source) == contentsOfTree(source))

        let verified = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")

        // S3 → a local folder, then that folder → another prefix on S3.
        let local = scratch.appending("mirror")
        let down = try vault.run(["mirror", "-r", repo, local, "--create"])
        #expect(down.status == 0, "\(down.standardError)")
        let up = "s3:\(server.endpoint)/\(bucket)/copy"
        let upResult = try vault.run(["mirror", "-r", local, up])
        #expect(upResult.status == 0, "\(upResult.standardError)")
        let backend = S3Backend(environment: server.environment)
        let main = try backend.open("\(server.endpoint)/\(bucket)/main")
        let copy = try backend.open("\(server.endpoint)/\(bucket)/copy")
        for kind in ObjectKind.allCases where kind != .locks {
            let mainNames = Set(try await main.listAll(kind).map(\.name))
            #expect(mainNames == Set(try await copy.listAll(kind).map(\.name)), "\(kind)")
            #expect(!mainNames.isEmpty, "\(kind)")
        }
        let restoredFromCopy = try vault.run(["restore", "-r", up, "--snapshot", "latest", "--target", scratch.appending("from-copy")])
        #expect(restoredFromCopy.status == 0, "\(restoredFromCopy.standardError)")
        #expect(try contentsOfTree(scratch.appending("from-copy") + source) == contentsOfTree(source))

        // Damage the local mirror; heal it from S3.
        let packs = try FileManager.default.subpathsOfDirectory(atPath: local + "/data").filter { $0.count == 67 }
        let damaged = try #require(packs.first)
        try FileManager.default.removeItem(atPath: local + "/data/" + damaged)
        let broken = try vault.run(["verify", "-r", local, "--read-data"])
        #expect(broken.status == 4)
        let repaired = try vault.run(["verify", "-r", local, "--read-data", "--repair-from", repo])
        #expect(repaired.standardOutput.contains("repaired data/"), "\(repaired.standardOutput) \(repaired.standardError)")
        #expect(FileManager.default.fileExists(atPath: local + "/data/" + damaged))
        #expect(try vault.run(["verify", "-r", local, "--read-data"]).status == 0)
        // forget + prune and sync on S3: S3LifecycleTests.
    }

    @Test("a wrong secret key, a missing bucket and a malformed location are one-line errors")
    func credentialAndLocationErrors() async throws {
        let server = try await SeaweedServer.sharedServer()
        let bucket = uniqueName("errors")
        let repo = "s3:\(server.endpoint)/\(bucket)"
        #expect(try VaultProcess(server).run(["init", "-r", repo]).status == 0)

        let wrongKey = try VaultProcess(server, extra: ["AWS_SECRET_ACCESS_KEY": "wrong"]).run(["snapshots", "-r", repo])
        #expect(wrongKey.status == 1)
        #expect(wrongKey.standardError.hasPrefix("vault: "))
        #expect(wrongKey.standardError.split(separator: "\n").count == 1, "\(wrongKey.standardError)")
        #expect(wrongKey.standardError.contains("SignatureDoesNotMatch"), "\(wrongKey.standardError)")

        let noKeys = try VaultProcess(server, extra: ["AWS_ACCESS_KEY_ID": ""]).run(["snapshots", "-r", repo])
        #expect(noKeys.status == 1)
        #expect(noKeys.standardError.contains("AWS_ACCESS_KEY_ID"), "\(noKeys.standardError)")

        let missing = try VaultProcess(server).run(["snapshots", "-r", "s3:\(server.endpoint)/\(uniqueName("nobucket"))"])
        #expect(missing.status == 10, "no repository there: \(missing.standardError)")
        #expect(missing.standardError.hasPrefix("vault: there is no repository at s3:"), "\(missing.standardError)")

        let malformed = try VaultProcess(server).run(["snapshots", "-r", "s3:\(server.endpoint)/Bad_Bucket"])
        #expect(malformed.status == 1)
        #expect(malformed.standardError.contains("invalid S3 location"), "\(malformed.standardError)")
    }
}
