import Foundation
import Synchronization
import Testing
import VaultStorage
import VaultStorageTesting

@Suite("MemoryStorage")
struct MemoryStorageTests {
    @Test("conformance, refusing replacements", arguments: StorageConformance.Check.allCases)
    func conformance(_ check: StorageConformance.Check) async throws {
        try await StorageConformance { MemoryStorage() }.run(check)
    }

    @Test("conformance, replacing like an object store", arguments: StorageConformance.Check.allCases)
    func conformanceReplacing(_ check: StorageConformance.Check) async throws {
        let capabilities = StorageCapabilities(preferredConcurrency: 8, putRefusesToReplace: false, listingIsImmediatelyConsistent: true)
        try await StorageConformance { MemoryStorage(capabilities: capabilities) }.run(check)
    }

    @Test("conformance through the retry and concurrency wrappers", arguments: StorageConformance.Check.allCases)
    func conformanceWrapped(_ check: StorageConformance.Check) async throws {
        try await StorageConformance { RetryingStorage(ConcurrencyLimitedStorage(MemoryStorage(), limit: 3)) }.run(check)
    }
}

@Suite("Storage faults and wrappers")
struct StorageWrapperTests {
    static let transient = StorageError(.io, name: nil, message: "injected: server busy", isTransient: true)
    static let permanent = StorageError(.permissionDenied, name: nil, message: "injected: access denied")
    static let quickRetries = RetryPolicy(maximumAttempts: 4, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(4))

    @Test func theNthCallFailsAndOnlyIt() async throws {
        let faults = StorageFaults()
        faults.failCall(2, of: [.put], with: Self.permanent)
        let storage = FaultyStorage(MemoryStorage(), faults: faults)
        try await storage.put([1], as: StorageConformance.name(.index, 1))
        let error = await #expect(throws: StorageError.self) { try await storage.put([2], as: StorageConformance.name(.index, 2)) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.name == (try StorageConformance.name(.index, 2)))
        try await storage.put([3], as: StorageConformance.name(.index, 3))
        #expect(try await storage.listAll(.index).count == 2)
        #expect(faults.count(.put) == 3)
    }

    @Test func aByteBudgetFailsThePutThatCrossesIt() async throws {
        let faults = StorageFaults()
        faults.failAfterBytes(250)
        let storage = FaultyStorage(MemoryStorage(), faults: faults)
        try await storage.put([UInt8](repeating: 1, count: 200), as: StorageConformance.dataName(1))
        let error = await #expect(throws: StorageError.self) {
            try await storage.put([UInt8](repeating: 2, count: 100), as: StorageConformance.dataName(2))
        }
        #expect(error?.code == .noSpace)
        #expect(try await storage.exists(StorageConformance.dataName(2)) == false)
    }

    @Test func shortReadsAndDelays() async throws {
        let faults = StorageFaults()
        let storage = FaultyStorage(MemoryStorage(), faults: faults)
        let name = try StorageConformance.dataName(1)
        try await storage.put([1, 2, 3, 4], as: name)
        faults.shortReads(true)
        #expect(try await storage.get(name, range: 0..<4) == [1, 2, 3])
        faults.shortReads(false)
        faults.delay(.milliseconds(50))
        let clock = ContinuousClock()
        let started = clock.now
        _ = try await storage.stat(name)
        #expect(clock.now - started >= .milliseconds(50))
    }

    @Test func retriesRepeatTransientErrorsUntilTheySucceed() async throws {
        let faults = StorageFaults()
        faults.fail([.get], from: 1, through: 3, with: Self.transient)
        let base = FaultyStorage(MemoryStorage(), faults: faults)
        let name = try StorageConformance.dataName(1)
        try await base.put([9], as: name)
        let storage = RetryingStorage(base, policy: Self.quickRetries)
        #expect(try await storage.get(name) == [9])
        #expect(faults.count(.get) == 4)
    }

    @Test func retriesGiveUpAfterTheLastAttempt() async throws {
        let faults = StorageFaults()
        faults.fail([.stat], from: 1, with: Self.transient)
        let storage = RetryingStorage(FaultyStorage(MemoryStorage(), faults: faults), policy: Self.quickRetries)
        let error = await #expect(throws: StorageError.self) { try await storage.stat(.config) }
        #expect(error?.isTransient == true)
        #expect(error?.message == Self.transient.message)
        #expect(faults.count(.stat) == 4)
    }

    @Test func otherErrorsAreNotRetried() async throws {
        let faults = StorageFaults()
        faults.fail([.put], from: 1, with: Self.permanent)
        let storage = RetryingStorage(FaultyStorage(MemoryStorage(), faults: faults), policy: Self.quickRetries)
        let error = await #expect(throws: StorageError.self) { try await storage.put([1], as: .config) }
        #expect(error?.code == .permissionDenied)
        #expect(faults.count(.put) == 1)
        _ = await #expect(throws: StorageError.self) { try await storage.get(.config) }
        #expect(faults.count(.get) == 1, "notFound is an answer, not a transient failure")
    }

    @Test func aListingPageIsFetchedAgainAfterATransientError() async throws {
        let faults = StorageFaults()
        let memory = MemoryStorage()
        for index in 0..<5 {
            try await memory.put([UInt8(index)], as: StorageConformance.name(.snapshots, index))
        }
        faults.failCall(1, of: [.list], with: Self.transient)
        let storage = RetryingStorage(FaultyStorage(memory, faults: faults), policy: Self.quickRetries)
        #expect(try await storage.listAll(.snapshots).count == 5)
    }

    @Test func backoffBoundsGrowExponentiallyUpToTheMaximum() {
        let policy = RetryPolicy(maximumAttempts: 10, initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        #expect((1...6).map { policy.delayBound(afterFailures: $0) } == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }

    @Test func theConcurrencyLimitHolds() async throws {
        let faults = StorageFaults()
        faults.delay(.milliseconds(20))
        let gauge = Gauge()
        let storage = ConcurrencyLimitedStorage(GaugedStorage(FaultyStorage(MemoryStorage(), faults: faults), gauge: gauge), limit: 3)
        #expect(storage.capabilities.preferredConcurrency == 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                group.addTask { try await storage.put([UInt8(index)], as: StorageConformance.dataName(index)) }
            }
            try await group.waitForAll()
        }
        #expect(gauge.peak == 3)
        #expect(try await storage.listAll(.data).count == 24)
    }
}

@Suite("Storage registry")
struct StorageRegistryTests {
    struct NamedBackend: StorageBackend {
        var scheme: String
        func open(_ address: String) throws(StorageError) -> any Storage { MemoryStorage(location: "\(scheme)|\(address)") }
        func inspect(_ address: String) async throws(StorageError) -> LocationContents { .empty }
        func create(_ address: String) async throws(StorageError) -> any Storage { try open(address) }
    }

    @Test func schemesChooseTheBackendAndAnythingElseIsAPath() throws {
        var registry = StorageRegistry(default: NamedBackend(scheme: "local"))
        registry.register(NamedBackend(scheme: "s3"))
        #expect(registry.schemes == ["local", "s3"])
        let cases: [(String, String)] = [
            ("/media/usb/backups", "local|/media/usb/backups"),
            ("local:/srv/repo", "local|/srv/repo"),
            ("local:relative:with:colons", "local|relative:with:colons"),
            ("s3:http://127.0.0.1:8333/bucket/prefix", "s3|http://127.0.0.1:8333/bucket/prefix"),
            ("photos:2024", "local|photos:2024"),
            ("S3:http://h/b", "local|S3:http://h/b"),
            ("relative/path", "local|relative/path"),
        ]
        for (text, expected) in cases {
            let (backend, address) = registry.resolve(text)
            #expect(try backend.open(address).location == expected, "\(text)")
        }
    }

    @Test func theLocalBackendTellsMissingEmptyRepositoryAndForeignApart() async throws {
        let folder = try TemporaryDirectory()
        let backend = LocalDirectoryBackend()
        #expect(try await backend.inspect(folder.appending("missing")) == .missing)
        try FileManager.default.createDirectory(atPath: folder.appending("empty"), withIntermediateDirectories: false)
        #expect(try await backend.inspect(folder.appending("empty")) == .empty)
        let storage = try await backend.create(folder.appending("repo"))
        try await storage.put([1], as: .config)
        #expect(try await backend.inspect(folder.appending("repo")) == .repository)
        try writeFile(folder.appending("repo/notes.txt"), [1])
        guard case .foreign(let what) = try await backend.inspect(folder.appending("repo")) else {
            Issue.record("a folder with a stranger is foreign")
            return
        }
        #expect(what.contains("notes.txt"))
        try writeFile(folder.appending("file"), [1])
        #expect(try await backend.inspect(folder.appending("file")) == .foreign("it is not a folder"))
    }
}

/// Counts calls in flight and remembers the most at once.
final class Gauge: Sendable {
    private let state = Mutex((current: 0, peak: 0))
    var peak: Int { state.withLock { $0.peak } }
    func enter() { state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
}

/// A storage whose puts are counted by a ``Gauge``.
struct GaugedStorage: Storage {
    let base: any Storage
    let gauge: Gauge
    init(_ base: any Storage, gauge: Gauge) {
        self.base = base
        self.gauge = gauge
    }
    var location: String { base.location }
    var capabilities: StorageCapabilities { base.capabilities }
    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        gauge.enter()
        defer { gauge.leave() }
        try await base.put(bytes, as: name)
    }
    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] { try await base.get(name) }
    func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] { try await base.get(name, range: range) }
    func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo { try await base.stat(name) }
    func list(_ kind: ObjectKind) -> ObjectListing { base.list(kind) }
    func delete(_ name: ObjectName) async throws(StorageError) { try await base.delete(name) }
}
