import Foundation
import Testing
import VaultTestSupport
import VaultStorage
import VaultStorageTesting
@testable import VaultStorageS3

/// Retention and sync on a real S3 server: the same commands as on a folder.
@Suite("vault forget, prune and sync on S3", .timeLimit(.minutes(5)))
struct S3LifecycleTests {
    /// The total size of the pack files under a repository prefix.
    private func packBytes(_ storage: any Storage) async throws -> Int64 {
        try await storage.listAll(.data).reduce(0) { $0 + $1.size }
    }

    @Test("forget --keep-last 1 --prune shrinks an S3 repository; the kept snapshot restores bit-exact and verifies")
    func forgetAndPrune() async throws {
        let server = try await SeaweedServer.sharedServer()
        let vault = VaultProcess(server)
        let scratch = try ScratchFolder()
        let source = scratch.appending("source")
        let bucket = uniqueName("prune")
        let repo = "s3:\(server.endpoint)/\(bucket)/main"
        #expect(try vault.run(["init", "-r", repo, "--pack-size", "1M"]).status == 0)
        // Three backups, each replacing most of the data.
        for seed in 1...3 {
            try? FileManager.default.removeItem(atPath: source)
            try writeFiles(in: source, sizes: [2 << 20, 700_000, 5_000], seed: UInt64(seed))
            let backup = try vault.run(["backup", "-r", repo, source])
            #expect(backup.status == 0, "\(backup.standardError)")
        }
        let storage = try S3Backend(environment: server.environment).open("\(server.endpoint)/\(bucket)/main")
        let before = try await packBytes(storage)

        let forget = try vault.run(["forget", "-r", repo, "--keep-last", "1", "--prune"])
        #expect(forget.status == 0, "\(forget.standardOutput) \(forget.standardError)")
        #expect(forget.standardOutput.contains("removed 2 snapshots"), "\(forget.standardOutput)")
        let after = try await packBytes(storage)
        #expect(after < before / 2, "pack bytes \(before) → \(after)")

        let verified = try vault.run(["verify", "-r", repo, "--read-data"])
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        let target = scratch.appending("restored")
        #expect(try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", target]).status == 0)
        #expect(try contentsOfTree(target + source) == contentsOfTree(source))
        // A second prune finds nothing to do.
        let again = try vault.run(["prune", "-r", repo])
        #expect(again.status == 0)
        #expect(again.standardOutput.contains("deleted 0 packs"), "\(again.standardOutput)")
    }

    @Test("two folders sync through an S3 repository, a conflict keeps both versions")
    func syncThroughS3() async throws {
        let server = try await SeaweedServer.sharedServer()
        let vault = VaultProcess(server)
        let scratch = try ScratchFolder()
        let home = scratch.appending("home"), work = scratch.appending("work")
        for folder in [home, work] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let repo = "s3:\(server.endpoint)/\(uniqueName("sync"))/docs"
        #expect(try vault.run(["init", "-r", repo]).status == 0)
        func sync(_ folder: String, _ host: String) throws -> Int32 {
            let result = try vault.run(["sync", "-r", repo, "--name", "docs", "--host", host, folder])
            return result.status
        }
        try Data("draft".utf8).write(to: URL(fileURLWithPath: home + "/notes.txt"))
        #expect(try sync(home, "home") == 0)
        #expect(try sync(work, "work") == 0)
        #expect(try String(contentsOfFile: work + "/notes.txt", encoding: .utf8) == "draft")

        try Data("home's edit".utf8).write(to: URL(fileURLWithPath: home + "/notes.txt"))
        try Data("work's edit".utf8).write(to: URL(fileURLWithPath: work + "/notes.txt"))
        #expect(try sync(home, "home") == 0)
        #expect(try sync(work, "work") == 6, "a conflict exits 6")
        #expect(try sync(home, "home") == 0)
        let homeFiles = try FileManager.default.contentsOfDirectory(atPath: home).sorted()
        let workFiles = try FileManager.default.contentsOfDirectory(atPath: work).sorted()
        #expect(homeFiles == workFiles)
        #expect(homeFiles.count == 2, "\(homeFiles)")
        let contents = Set(try homeFiles.map { try String(contentsOfFile: home + "/" + $0, encoding: .utf8) })
        #expect(contents == ["home's edit", "work's edit"])
    }
}
