import Testing
import VaultStorage

/// The promises every ``Storage`` backend keeps, as checks any backend's
/// tests run.
///
/// A backend's tests run every check against a fresh, empty storage:
///
///     @Test(arguments: StorageConformance.Check.allCases)
///     func conformance(_ check: StorageConformance.Check) async throws {
///         try await StorageConformance { try makeEmptyStorage() }.run(check)
///     }
///
/// The checks use only the ``Storage`` protocol, so they hold for a local
/// folder and an object store alike; where a backend may choose (replacing
/// a content-addressed object, reporting a missing object on delete), the
/// check accepts every allowed answer and follows the backend's
/// ``StorageCapabilities``.
package struct StorageConformance: Sendable {
    /// One promise to check.
    package enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case emptyStorageListsNothing
        case roundTripEmptyOneByteAndLargeObjects
        case rangeReads
        case rangeOutsideObjectIsInvalidRange
        case statReportsSize
        case putRefusesToOverwrite
        case concurrentPutsOfOneNameStoreOne
        case missingObjectIsNotFound
        case listingHoldsExactlyEachKind
        case listingManyObjectsAcrossShards
        case deleteThenList
        case namesOfEveryKind
        case modificationTimeIsReported
        case configIsNeverReplaced

        package var testDescription: String { rawValue }
    }

    /// Makes the fresh, empty storage a check runs against.
    package let makeStorage: @Sendable () async throws -> any Storage

    /// Creates a suite.
    ///
    /// - Parameter makeStorage: Makes a fresh, empty storage; called once per check.
    package init(makeStorage: @escaping @Sendable () async throws -> any Storage) {
        self.makeStorage = makeStorage
    }

    /// Runs one check.
    package func run(_ check: Check) async throws {
        let storage = try await makeStorage()
        switch check {
        case .emptyStorageListsNothing: try await emptyStorageListsNothing(storage)
        case .roundTripEmptyOneByteAndLargeObjects: try await roundTrip(storage)
        case .rangeReads: try await rangeReads(storage)
        case .rangeOutsideObjectIsInvalidRange: try await rangeOutsideObject(storage)
        case .statReportsSize: try await statReportsSize(storage)
        case .putRefusesToOverwrite: try await putRefusesToOverwrite(storage)
        case .concurrentPutsOfOneNameStoreOne: try await concurrentPutsOfOneName(storage)
        case .missingObjectIsNotFound: try await missingObjectIsNotFound(storage)
        case .listingHoldsExactlyEachKind: try await listingHoldsExactlyEachKind(storage)
        case .listingManyObjectsAcrossShards: try await listingManyObjectsAcrossShards(storage)
        case .deleteThenList: try await deleteThenList(storage)
        case .namesOfEveryKind: try await namesOfEveryKind(storage)
        case .modificationTimeIsReported: try await modificationTimeIsReported(storage)
        case .configIsNeverReplaced: try await configIsNeverReplaced(storage)
        }
    }

    // MARK: - Checks

    private func emptyStorageListsNothing(_ storage: any Storage) async throws {
        for kind in ObjectKind.allCases {
            #expect(try await storage.listAll(kind).isEmpty, "\(kind)")
        }
        #expect(try await storage.exists(.config) == false)
    }

    private func roundTrip(_ storage: any Storage) async throws {
        let objects: [(ObjectName, [UInt8])] = [
            (try Self.dataName(1), []),
            (try Self.dataName(2), [0xA5]),
            (try Self.dataName(3), Self.bytes(count: 17 * 1024 * 1024, seed: 3)),
        ]
        for (name, bytes) in objects {
            try await storage.put(bytes, as: name)
        }
        for (name, bytes) in objects {
            let read = try await storage.get(name)
            #expect(read.count == bytes.count, "\(name)")
            #expect(read == bytes, "\(name)")
        }
    }

    private func rangeReads(_ storage: any Storage) async throws {
        let name = try Self.dataName(7)
        let bytes = Self.bytes(count: 1000, seed: 7)
        try await storage.put(bytes, as: name)
        let ranges: [Range<Int64>] = [0..<10, 0..<1, 400..<600, 990..<1000, 999..<1000, 0..<1000]
        for range in ranges {
            let read = try await storage.get(name, range: range)
            #expect(read == Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]), "\(range)")
        }
        for empty: Range<Int64> in [0..<0, 500..<500, 1000..<1000] {
            #expect(try await storage.get(name, range: empty) == [], "\(empty)")
        }
        let emptyObject = try Self.dataName(8)
        try await storage.put([], as: emptyObject)
        #expect(try await storage.get(emptyObject, range: 0..<0) == [])
    }

    private func rangeOutsideObject(_ storage: any Storage) async throws {
        let name = try Self.dataName(9)
        try await storage.put(Self.bytes(count: 1000, seed: 9), as: name)
        for range: Range<Int64> in [990..<1001, 1000..<1001, 1001..<1001, 2000..<3000, -1..<5, 0..<Int64.max] {
            let error = await #expect(throws: StorageError.self, "\(range)") {
                try await storage.get(name, range: range)
            }
            #expect(error?.code == .invalidRange, "\(range)")
        }
        let emptyObject = try Self.dataName(10)
        try await storage.put([], as: emptyObject)
        let error = await #expect(throws: StorageError.self) { try await storage.get(emptyObject, range: 0..<1) }
        #expect(error?.code == .invalidRange)
    }

    private func statReportsSize(_ storage: any Storage) async throws {
        for (index, size) in [0, 1, 4096, 100_003].enumerated() {
            let name = try Self.name(.snapshots, index)
            try await storage.put(Self.bytes(count: size, seed: UInt64(index)), as: name)
            let info = try await storage.stat(name)
            #expect(info.name == name && info.size == Int64(size))
            #expect(try await storage.exists(name))
        }
    }

    /// Every backend refuses to replace `config`; one whose capabilities
    /// say so refuses every replacement, and any other may replace a
    /// content-addressed object only with the same bytes (the only
    /// replacement vault ever makes).
    private func putRefusesToOverwrite(_ storage: any Storage) async throws {
        let refuses = storage.capabilities.putRefusesToReplace
        for kind in ObjectKind.allCases {
            let name = kind == .config ? ObjectName.config : try Self.name(kind, 11)
            let original = Self.bytes(count: 300, seed: 1)
            try await storage.put(original, as: name)
            if refuses || kind == .config {
                let error = await #expect(throws: StorageError.self, "\(kind)") {
                    try await storage.put(Self.bytes(count: 500, seed: 2), as: name)
                }
                #expect(error?.code == .alreadyExists, "\(kind)")
                #expect(error?.name == name, "\(kind)")
            } else {
                do throws(StorageError) {
                    try await storage.put(original, as: name)
                } catch {
                    #expect(error.code == .alreadyExists, "\(kind): \(error)")
                }
            }
            #expect(try await storage.get(name) == original, "\(kind)")
            #expect(try await storage.stat(name).size == 300, "\(kind)")
            #expect(try await storage.listAll(kind).map(\.name) == [name], "\(kind)")
        }
    }

    /// `config` put twice in a row: the second is refused, the first kept.
    private func configIsNeverReplaced(_ storage: any Storage) async throws {
        try await storage.put([1, 2, 3], as: .config)
        for attempt in 0..<3 {
            let error = await #expect(throws: StorageError.self) { try await storage.put([UInt8(attempt)], as: .config) }
            #expect(error?.code == .alreadyExists)
        }
        #expect(try await storage.get(.config) == [1, 2, 3])
    }

    /// Objects carry the storage's modification time, near this machine's
    /// clock (the tests run the storage on this machine), the same in a
    /// listing as from `stat` up to the coarser of their precisions.
    private func modificationTimeIsReported(_ storage: any Storage) async throws {
        let before = StorageTime.now.nanosecondsSinceEpoch
        let name = try Self.name(.snapshots, 60)
        try await storage.put([7, 7, 7], as: name)
        let after = StorageTime.now.nanosecondsSinceEpoch
        let stat = try await storage.stat(name).modificationTime.nanosecondsSinceEpoch
        let slack: Int64 = 120 * 1_000_000_000
        #expect(stat >= before - slack && stat <= after + slack, "stat time \(stat), local \(before)...\(after)")
        let listed = try #require(try await storage.listAll(.snapshots).first { $0.name == name })
        #expect(abs(listed.modificationTime.nanosecondsSinceEpoch - stat) < 1_000_000_000, "listed \(listed.modificationTime), stat \(stat)")
    }

    /// Eight writers race to store one name. A backend that refuses
    /// replacements lets exactly one win; any other ends holding one
    /// writer's bytes whole (they race with identical bytes, as writers of
    /// a content-addressed object do, and with different bytes for `config`
    /// only where the backend can refuse atomically).
    private func concurrentPutsOfOneName(_ storage: any Storage) async throws {
        let refuses = storage.capabilities.putRefusesToReplace
        let name = try Self.name(.locks, 12)
        let writers = 8
        let outcomes = try await withThrowingTaskGroup(of: Int?.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    do throws(StorageError) {
                        try await storage.put(Self.bytes(count: 64 * 1024, seed: refuses ? UInt64(writer) : 5), as: name)
                        return writer
                    } catch where error.code == .alreadyExists {
                        return nil
                    }
                }
            }
            return try await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        let winners = outcomes.compactMap { $0 }
        if refuses {
            #expect(winners.count == 1, "writers that stored the object: \(winners)")
            if let winner = winners.first {
                #expect(try await storage.get(name) == Self.bytes(count: 64 * 1024, seed: UInt64(winner)))
            }
        } else {
            #expect(!winners.isEmpty)
            #expect(try await storage.get(name) == Self.bytes(count: 64 * 1024, seed: 5))
        }
        #expect(try await storage.listAll(.locks).map(\.name) == [name])
    }

    private func missingObjectIsNotFound(_ storage: any Storage) async throws {
        let names = [ObjectName.config, try Self.dataName(13), try Self.name(.keys, 13), try Self.name(.index, 13)]
        for name in names {
            let getError = await #expect(throws: StorageError.self) { try await storage.get(name) }
            #expect(getError?.code == .notFound, "get \(name)")
            #expect(getError?.name == name, "get \(name)")
            let rangeError = await #expect(throws: StorageError.self) { try await storage.get(name, range: 0..<0) }
            #expect(rangeError?.code == .notFound, "get range \(name)")
            let statError = await #expect(throws: StorageError.self) { try await storage.stat(name) }
            #expect(statError?.code == .notFound, "stat \(name)")
            do throws(StorageError) {
                try await storage.delete(name)  // an object store cannot tell
            } catch {
                #expect(error.code == .notFound, "delete \(name)")
            }
            #expect(try await storage.exists(name) == false, "exists \(name)")
        }
    }

    private func listingHoldsExactlyEachKind(_ storage: any Storage) async throws {
        var expected: [ObjectKind: Set<Listed>] = [:]
        for kind in ObjectKind.allCases {
            let names = kind == .config ? [ObjectName.config] : try (0..<3).map { try Self.name(kind, 20 + $0) }
            for (index, name) in names.enumerated() {
                let bytes = Self.bytes(count: 10 * index + kind.rawValue.count, seed: UInt64(index))
                try await storage.put(bytes, as: name)
                expected[kind, default: []].insert(Listed(name: name, size: Int64(bytes.count)))
            }
        }
        for kind in ObjectKind.allCases {
            let listed = try await storage.listAll(kind)
            #expect(listed.count == expected[kind]?.count, "\(kind): \(listed)")
            #expect(Set(listed.map(Listed.init)) == expected[kind], "\(kind)")
        }
    }

    private func listingManyObjectsAcrossShards(_ storage: any Storage) async throws {
        let count = 5_000
        let names = try (0..<count).map { try Self.dataName($0) }
        #expect(Set(names.map { $0.name.prefix(2) }).count == 256)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for index in stride(from: lane, to: count, by: 4) {
                        try await storage.put(Self.bytes(count: index % 97, seed: UInt64(index)), as: names[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        try await storage.put([1, 2, 3], as: try Self.name(.index, 1))
        let listed = try await storage.listAll(.data)
        #expect(listed.count == count)
        #expect(Set(listed.map(Listed.init)) == Set((0..<count).map { Listed(name: names[$0], size: Int64($0 % 97)) }))
    }

    private func deleteThenList(_ storage: any Storage) async throws {
        let names = try (0..<10).map { try Self.name(.index, 30 + $0) }
        for name in names {
            try await storage.put(Array(name.name.utf8), as: name)
        }
        let deleted = Set(names.prefix(4))
        for name in deleted {
            try await storage.delete(name)
        }
        #expect(Set(try await storage.listAll(.index).map(\.name)) == Set(names.dropFirst(4)))
        for name in deleted {
            let error = await #expect(throws: StorageError.self) { try await storage.get(name) }
            #expect(error?.code == .notFound)
        }
        try await storage.put([9], as: names[0])
        #expect(try await storage.get(names[0]) == [9])
        #expect(try await storage.listAll(.index).count == 7)
    }

    private func namesOfEveryKind(_ storage: any Storage) async throws {
        var names: [ObjectName] = [.config, try Self.dataName(40), try ObjectName(kind: .data, name: String(repeating: "f", count: 64))]
        for kind in [ObjectKind.keys, .locks, .snapshots, .index] {
            names.append(try ObjectName(kind: kind, name: "a"))
            names.append(try ObjectName(kind: kind, name: "lock-host_1-2024"))
            names.append(try ObjectName(kind: kind, name: String(repeating: "z9-_", count: 32)))
            names.append(try Self.name(kind, 40))
        }
        for name in names {
            let bytes = Array(name.description.utf8)
            try await storage.put(bytes, as: name)
            #expect(try await storage.get(name) == bytes, "\(name)")
            #expect(try await storage.stat(name).size == Int64(bytes.count), "\(name)")
        }
        for kind in ObjectKind.allCases {
            #expect(Set(try await storage.listAll(kind).map(\.name)) == Set(names.filter { $0.kind == kind }), "\(kind)")
        }
        for name in names {
            try await storage.delete(name)
            #expect(try await storage.exists(name) == false, "\(name)")
        }
        for kind in ObjectKind.allCases {
            #expect(try await storage.listAll(kind).isEmpty, "\(kind)")
        }
    }

    // MARK: - Helpers

    /// A listed object's name and size (its time is the storage's to choose).
    struct Listed: Hashable {
        var name: ObjectName
        var size: Int64

        init(name: ObjectName, size: Int64) {
            self.name = name
            self.size = size
        }

        init(_ info: ObjectInfo) {
            self.init(name: info.name, size: info.size)
        }
    }

    /// A `data` name whose first two digits are `index % 256`, so that
    /// consecutive indexes cover all 256 shards.
    package static func dataName(_ index: Int) throws -> ObjectName {
        let shard = String(index % 256, radix: 16)
        let rest = String(index, radix: 16)
        let name = (shard.count == 1 ? "0" : "") + shard + String(repeating: "0", count: 62 - rest.count) + rest
        return try ObjectName(kind: .data, name: name)
    }

    /// A 64-hex-digit name of `kind` (or the configuration's name).
    package static func name(_ kind: ObjectKind, _ index: Int) throws -> ObjectName {
        if kind == .config { return .config }
        let hex = String(index, radix: 16)
        return try ObjectName(kind: kind, name: String(repeating: "e", count: 64 - hex.count) + hex)
    }

    /// `count` pseudo-random bytes, the same for the same seed.
    package static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                buffer[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            initialized = count
        }
    }
}
