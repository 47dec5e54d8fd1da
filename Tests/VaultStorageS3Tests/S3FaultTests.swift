import Foundation
import Glibc
import Testing
import VaultTestSupport
import VaultStorage
import VaultStorageTesting
@testable import VaultStorageS3

/// Network and server faults: requests delayed past the timeout, dropped
/// connections, and the server killed in the middle of a backup.
@Suite("S3 faults", .serialized, .timeLimit(.minutes(5)))
struct S3FaultTests {
    @Test("requests delayed past the timeout fail with a clear message after bounded retries; dropped connections too")
    func delaysAndDrops() async throws {
        let server = try await SeaweedServer.sharedServer()
        let proxy = try DelayingProxy(upstreamPort: server.ports.s3)
        defer { proxy.stop() }
        let options = S3Options(
            concurrency: 2, connectTimeout: .seconds(2), idleTimeout: .seconds(1), requestTimeout: .seconds(1), maximumAttempts: 3,
            initialRetryDelay: .milliseconds(50))
        let backend = S3Backend(environment: server.environment, options: options)
        let address = "http://127.0.0.1:\(proxy.port)/\(uniqueName("slow"))/repo"
        let storage = try await backend.create(address)
        try await storage.put([1, 2, 3], as: .config)

        proxy.set(.delay(.seconds(3)))
        let clock = ContinuousClock()
        var started = clock.now
        let slow = await #expect(throws: StorageError.self) { try await storage.get(.config) }
        let elapsed = clock.now - started
        #expect(slow?.isTransient == true)
        #expect(slow?.message.contains("timed out") == true || slow?.message.contains("read timeout") == true, "\(slow?.message ?? "")")
        #expect(elapsed < .seconds(10), "three attempts of about a second each: \(elapsed)")

        proxy.set(.drop)
        started = clock.now
        let dropped = await #expect(throws: StorageError.self) { try await storage.stat(.config) }
        #expect(dropped?.isTransient == true)
        #expect(dropped?.message.contains("cannot reach") == true, "\(dropped?.message ?? "")")
        #expect(clock.now - started < .seconds(10))

        proxy.set(.pass)
        #expect(try await storage.get(.config) == [1, 2, 3], "the same storage works again once the network does")
    }

    @Test("the server killed mid-backup: exit 1 with a clear message; after a restart the next backup succeeds and keeps what was stored")
    func serverKilledMidBackup() async throws {
        let scratch = try ScratchFolder()
        let server = try await SeaweedServer.start(directory: scratch.appending("server"))
        defer { server.stop() }
        let vault = VaultProcess(server, extra: ["VAULT_S3_TIMEOUT": "2"])
        let bucket = uniqueName("killed")
        let repo = "s3:\(server.endpoint)/\(bucket)"
        #expect(try vault.run(["init", "-r", repo]).status == 0)
        let source = scratch.appending("source")
        try writeFiles(in: source, sizes: Array(repeating: 4 << 20, count: 12), seed: 7)
        let backend = S3Backend(environment: server.environment)
        let storage = try backend.open("\(server.endpoint)/\(bucket)")

        let clock = ContinuousClock()
        var phase = clock.now
        func lap(_ what: String) {
            print("serverKilledMidBackup: \(what) took \(clock.now - phase)")
            phase = clock.now
        }
        let process = try vault.start(["backup", "-r", repo, source], errorFile: scratch.appending("backup.err"))
        // Kill the server once the first packs are stored.
        var stored: [ObjectName] = []
        for _ in 0..<600 where process.isRunning {
            stored = (try? await storage.listAll(.data).map(\.name)) ?? []
            if !stored.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        lap("backup until the first pack")
        server.kill()
        lap("kill")
        process.waitUntilExit()
        lap("the backup's exit")
        let finishedFirst = process.terminationStatus == 0
        if !finishedFirst {
            #expect(process.terminationStatus == 1)
            let message = try String(contentsOfFile: scratch.appending("backup.err"), encoding: .utf8)
            #expect(message.hasPrefix("vault: ") && message.contains("cannot reach"), "\(message)")
        }
        // The same run again, to read its message (the server is still down).
        let down = try vault.run(["snapshots", "-r", repo])
        #expect(down.status == 1)
        #expect(down.standardError.hasPrefix("vault: ") && down.standardError.contains("cannot reach"), "\(down.standardError)")
        #expect(down.standardError.split(separator: "\n").count == 1)

        lap("snapshots with the server down")
        try await server.restart()
        lap("restart")
        let again = try vault.run(["backup", "-r", repo, "--json", source])
        lap("second backup")
        #expect(again.status == 0, "\(again.standardError)")
        let after = Set(try await storage.listAll(.data).map(\.name))
        #expect(Set(stored).isSubset(of: after), "every pack stored before the kill is still there")
        let restored = scratch.appending("restored")
        #expect(try vault.run(["restore", "-r", repo, "--snapshot", "latest", "--target", restored]).status == 0)
        #expect(try contentsOfTree(restored + source) == contentsOfTree(source))
        #expect(try vault.run(["verify", "-r", repo, "--read-data"]).status == 0)
        if !finishedFirst {
            let summary = try #require(again.standardOutput.split(separator: "\n").last)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
            let added = try #require(json["bytes_added"] as? Int)
            let total = try #require(json["bytes_total"] as? Int)
            print("after the kill: \(stored.count) packs were stored; the next backup added \(added) of \(total) bytes")
            // The packs stored before the kill are indexed by the next backup and their data reused.
            #expect(added < total, "the next backup stored everything again: \(added) of \(total) bytes")
        }
    }
}
