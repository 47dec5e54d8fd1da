import Foundation
import Testing
import VaultStorage
import VaultStorageTesting
@testable import VaultStorageS3

/// The storage conformance suite and the backend's own promises, against
/// a real SeaweedFS server started by the tests.
@Suite("S3 storage on SeaweedFS", .timeLimit(.minutes(3)))
struct S3StorageTests {
    /// A fresh, empty repository location on the shared server: a new
    /// prefix in a shared bucket.
    static func freshLocation() async throws -> (SeaweedServer, String) {
        let server = try await SeaweedServer.sharedServer()
        return (server, "\(server.endpoint)/conformance/\(uniqueName("run"))")
    }

    @Test("conformance", arguments: StorageConformance.Check.allCases)
    func conformance(_ check: StorageConformance.Check) async throws {
        try await StorageConformance {
            let (server, address) = try await Self.freshLocation()
            let backend = S3Backend(environment: server.environment)
            return try await backend.create(address)
        }.run(check)
    }

    @Test("conformance of one attempt per call, unwrapped", arguments: [StorageConformance.Check.rangeReads, .rangeOutsideObjectIsInvalidRange, .missingObjectIsNotFound, .putRefusesToOverwrite])
    func conformanceUnwrapped(_ check: StorageConformance.Check) async throws {
        try await StorageConformance {
            let (server, address) = try await Self.freshLocation()
            let backend = S3Backend(environment: server.environment)
            _ = try await backend.create(address)
            return try backend.raw(address)
        }.run(check)
    }

    @Test func initCreatesAMissingBucketAndRefusesAUsedPrefix() async throws {
        let server = try await SeaweedServer.sharedServer()
        let backend = S3Backend(environment: server.environment)
        let bucket = uniqueName("fresh")
        #expect(try await backend.inspect("\(server.endpoint)/\(bucket)") == .missing)
        let storage = try await backend.create("\(server.endpoint)/\(bucket)/repo")
        #expect(try await backend.inspect("\(server.endpoint)/\(bucket)/repo") == .empty)
        try await storage.put([1], as: .config)
        #expect(try await backend.inspect("\(server.endpoint)/\(bucket)/repo") == .repository)
        if case .foreign = try await backend.inspect("\(server.endpoint)/\(bucket)") {} else {
            Issue.record("the bucket's top level holds a prefix, not a repository")
        }
        let error = await #expect(throws: StorageError.self) { try await backend.create("\(server.endpoint)/\(bucket)/repo") }
        #expect(error?.code == .alreadyExists)
        // A stranger next to the repository makes the location foreign.
        try await storage.put([2], as: StorageConformance.name(.keys, 1))
        let raw = try backend.raw("\(server.endpoint)/\(bucket)/repo")
        _ = try await raw.client.send(.PUT, key: "repo/notes.txt", body: [1], bodyLimit: 1 << 20, name: nil, action: "put")
        guard case .foreign(let what) = try await backend.inspect("\(server.endpoint)/\(bucket)/repo") else {
            Issue.record("a prefix with a stranger is foreign")
            return
        }
        #expect(what.contains("repo/notes.txt"))
        #expect(try await storage.listAll(.keys).count == 1, "strangers are not listed")
    }

    @Test func wrongSecretKeyIsPermissionDeniedNotRetried() async throws {
        let server = try await SeaweedServer.sharedServer()
        var environment = server.environment
        environment["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        let storage = try S3Backend(environment: environment).open("\(server.endpoint)/conformance/wrong-key")
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: StorageError.self) { try await storage.get(.config) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("SignatureDoesNotMatch") == true, "\(error?.message ?? "")")
        // What the retry policy decides on: a 403 is not transient, so it is
        // not retried (StorageContractTests.otherErrorsAreNotRetried shows a
        // non-transient error is tried once). The time bound only guards
        // against a hang; a wall-clock bound tight enough to tell one try from
        // several failed on a loaded machine.
        #expect(error?.isTransient == false, "a 403 is not retried")
        #expect(clock.now - started < .seconds(15), "a 403 fails at once")
        var unknown = server.environment
        unknown["AWS_ACCESS_KEY_ID"] = "NOSUCHKEY"
        let unknownError = await #expect(throws: StorageError.self) { try await S3Backend(environment: unknown).open("\(server.endpoint)/x1x/y").get(.config) }
        #expect(unknownError?.code == .permissionDenied)
    }

    @Test func aMissingBucketIsLocationUnavailable() async throws {
        let server = try await SeaweedServer.sharedServer()
        let storage = try S3Backend(environment: server.environment).open("\(server.endpoint)/\(uniqueName("missing"))")
        let error = await #expect(throws: StorageError.self) { try await storage.get(.config) }
        #expect(error?.code == .locationUnavailable)
        #expect(error?.message.contains("NoSuchBucket") == true, "\(error?.message ?? "")")
        let listError = await #expect(throws: StorageError.self) { try await storage.listAll(.snapshots) }
        #expect(listError?.code == .locationUnavailable)
    }

    @Test func listingPagesPastAThousandObjects() async throws {
        let (server, address) = try await Self.freshLocation()
        let storage = try await S3Backend(environment: server.environment).create(address)
        let names = try (0..<2_345).map { index in
            let hex = String(index, radix: 16)
            return try ObjectName(kind: .index, name: String(repeating: "0", count: 64 - hex.count) + hex)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for index in stride(from: lane, to: names.count, by: 8) {
                        try await storage.put([UInt8(truncatingIfNeeded: index)], as: names[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        let listed = try await storage.listAll(.index)
        #expect(listed.count == names.count)
        #expect(Set(listed.map(\.name)) == Set(names))
    }
}
