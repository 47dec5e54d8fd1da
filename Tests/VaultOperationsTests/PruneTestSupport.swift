import Foundation
import Synchronization
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage
import VaultTestSupport

/// A storage that "crashes" at its Nth mutating call (put or delete): from
/// then on every call fails, as if the process had been killed there. With
/// `completesCall`, the Nth call is carried out before the crash.
final class CrashingStorage: Storage {
    let base: any Storage
    let crashAt: Int
    let completesCall: Bool
    private let state = Mutex<(mutations: Int, crashed: Bool)>((0, false))

    init(base: any Storage, crashAt: Int = .max, completesCall: Bool = false) {
        self.base = base
        self.crashAt = crashAt
        self.completesCall = completesCall
    }

    var location: String { base.location }
    var capabilities: StorageCapabilities { base.capabilities }
    /// Mutating calls seen so far.
    var mutations: Int { state.withLock { $0.mutations } }

    private func check(_ name: ObjectName?) throws(StorageError) {
        if state.withLock({ $0.crashed }) {
            throw StorageError(.io, name: name, message: "injected crash: the process is gone")
        }
    }

    /// Counts a mutating call; throws when it is the crash point (before the call).
    private func mutate(_ name: ObjectName, _ call: () async throws(StorageError) -> Void) async throws(StorageError) {
        try check(name)
        let number = state.withLock { state -> Int in
            state.mutations += 1
            return state.mutations
        }
        guard number >= crashAt else {
            try await call()
            return
        }
        if completesCall {
            try? await call()
        }
        state.withLock { $0.crashed = true }
        throw StorageError(.io, name: name, message: "injected crash at mutating call \(number)")
    }

    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        try await mutate(name) { () async throws(StorageError) in try await base.put(bytes, as: name) }
    }

    func delete(_ name: ObjectName) async throws(StorageError) {
        try await mutate(name) { () async throws(StorageError) in try await base.delete(name) }
    }

    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        try check(name)
        return try await base.get(name)
    }

    func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        try check(name)
        return try await base.get(name, range: range)
    }

    func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        try check(name)
        return try await base.stat(name)
    }

    func list(_ kind: ObjectKind) -> ObjectListing {
        let listing = base.list(kind)
        return ObjectListing { [self] in
            let pages = listing.makePageSource()
            return { () async throws(StorageError) -> [ObjectInfo]? in
                try self.check(nil)
                return try await pages()
            }
        }
    }
}

/// A repository with a history worth pruning: six backups of a folder whose
/// big file is replaced every time, and half of whose 40 small files go
/// after the first backup (so some packs end up partly used).
struct PruneScenario {
    let fixture: BackupFixture
    /// The snapshots, oldest first, with their expected files (relative path → contents).
    var snapshots: [(id: SnapshotID, files: [String: [UInt8]])] = []
    /// The bytes of file contents only the first four snapshots hold.
    var uniqueToFirstFour = 0

    var repository: Repository { fixture.repository }
    var repositoryPath: String { fixture.directory.appending("repo") }

    static func make(bigFileSize: Int = 1_500_000) async throws -> PruneScenario {
        var scenario = PruneScenario(fixture: try await BackupFixture())
        var files: [String: [UInt8]] = [:]
        for index in 0..<40 {
            files["small/\(index)"] = pseudoRandomBytes(count: 20_000, seed: UInt64(1000 + index))
        }
        for round in 0..<6 {
            try? FileManager.default.removeItem(atPath: scenario.fixture.source + "/big-\(round - 1)")
            files["big-\(round - 1)"] = nil
            files["big-\(round)"] = pseudoRandomBytes(count: bigFileSize, seed: UInt64(round + 1))
            if round == 1 {
                for index in 0..<20 {
                    try FileManager.default.removeItem(atPath: scenario.fixture.source + "/small/\(index)")
                    files["small/\(index)"] = nil
                    scenario.uniqueToFirstFour += 20_000
                }
            }
            if round < 4 { scenario.uniqueToFirstFour += bigFileSize }
            for (path, bytes) in files { try scenario.fixture.write(path, bytes) }
            let result = try await scenario.fixture.backup()
            scenario.snapshots.append((result.snapshotID, files))
        }
        return scenario
    }

    /// Forgets all but the last two snapshots.
    func forgetAllButLastTwo(_ repository: Repository? = nil) async throws -> SnapshotForget.Outcome {
        var options = SnapshotForget.Options()
        options.policy.last = 2
        return try await SnapshotForget(repository: repository ?? self.repository, options: options).run()
    }

    /// The kept snapshots (the last two).
    var kept: ArraySlice<(id: SnapshotID, files: [String: [UInt8]])> { snapshots.suffix(2) }

    /// Restores every kept snapshot from `repository` and compares it with what was backed up.
    func expectKeptSnapshotsRestore(_ repository: Repository, _ context: String = "") async throws {
        for snapshot in kept {
            let target = fixture.directory.appending("restore-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let options = RestoreOptions(snapshot: try SnapshotReference(parsing: snapshot.id.hex + ":" + fixture.source), target: target)
            _ = try await Restore(repository: repository, options: options).run()
            var restored: [String: [UInt8]] = [:]
            let enumerator = FileManager.default.enumerator(atPath: target)
            while let relative = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: target + "/" + relative, isDirectory: &isDirectory)
                if !isDirectory.boolValue {
                    restored[relative] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target + "/" + relative)))
                }
            }
            // Compared by SHA-256, so a failure prints names and digests, not megabytes.
            #expect(restored.mapValues { SHA256Hasher.hash($0) } == snapshot.files.mapValues { SHA256Hasher.hash($0) }, "snapshot \(snapshot.id.shortHex) \(context)")
        }
    }
}

/// The total size of a repository's pack files.
func packBytes(_ storage: any Storage) async throws -> Int64 {
    try await storage.listAll(.data).reduce(0) { $0 + $1.size }
}

/// Verifies with `--read-data` and expects no damage (notes, such as unused data, allowed).
func expectVerifiesClean(_ repository: Repository, _ context: String = "") async throws {
    let report = try await RepositoryVerifier(repository: repository, readData: .all).run()
    #expect(!report.hasDamage, "\(context): \(report.findings.filter { $0.severity == .error }.map(\.description))")
}

/// Copies a folder to a fresh sibling and returns its path.
func copyFolder(_ path: String, to destination: String) throws {
    try? FileManager.default.removeItem(atPath: destination)
    try FileManager.default.copyItem(atPath: path, toPath: destination)
}
