import Synchronization
import VaultStorage

/// A storage call, as fault injection counts them.
package enum StorageCall: String, Sendable, Hashable, CaseIterable {
    case put, get, getRange, stat, list, delete
}

/// Which faults a ``FaultyStorage`` injects. Counters are shared by every
/// copy, so a test can change the plan while an operation runs.
package final class StorageFaults: Sendable {
    private struct State {
        var counts: [StorageCall: Int] = [:]
        var failing: [(calls: Set<StorageCall>, from: Int, through: Int, error: StorageError)] = []
        var bytesStored = 0
        var byteLimit: Int?
        var delay: Duration?
        var shortReads = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Makes calls of the given kinds numbered `from` through `through`
    /// (1-based, counted per kind set) fail with `error`.
    package func fail(_ calls: Set<StorageCall>, from: Int, through: Int = .max, with error: StorageError) {
        state.withLock { $0.failing.append((calls, from, through, error)) }
    }

    /// Makes the `n`th call of the given kinds (and only it) fail.
    package func failCall(_ n: Int, of calls: Set<StorageCall>, with error: StorageError) {
        fail(calls, from: n, through: n, with: error)
    }

    /// Makes every `put` fail once `limit` bytes have been stored in all
    /// (a full disk, a quota): the put that would cross it stores nothing.
    package func failAfterBytes(_ limit: Int) {
        state.withLock { $0.byteLimit = limit }
    }

    /// Delays every call.
    package func delay(_ duration: Duration?) {
        state.withLock { $0.delay = duration }
    }

    /// Makes reads return one byte less than asked (a misbehaving backend).
    package func shortReads(_ enabled: Bool) {
        state.withLock { $0.shortReads = enabled }
    }

    /// How many calls of a kind were made.
    package func count(_ call: StorageCall) -> Int {
        state.withLock { $0.counts[call, default: 0] }
    }

    /// Every call is counted here first; returns the error to throw, the
    /// delay, and whether reads come back short.
    fileprivate func begin(_ call: StorageCall, putBytes: Int = 0) -> (StorageError?, Duration?, Bool) {
        state.withLock { state in
            state.counts[call, default: 0] += 1
            for rule in state.failing where rule.calls.contains(call) {
                let number = rule.calls.reduce(0) { $0 + state.counts[$1, default: 0] }
                if (rule.from...rule.through).contains(number) {
                    return (rule.error, state.delay, state.shortReads)
                }
            }
            if call == .put, let limit = state.byteLimit {
                guard state.bytesStored + putBytes <= limit else {
                    return (StorageError(.noSpace, name: nil, message: "injected: no space left after \(state.bytesStored) bytes"), state.delay, state.shortReads)
                }
                state.bytesStored += putBytes
            }
            return (nil, state.delay, state.shortReads)
        }
    }
}

/// Wraps a storage and injects the faults of a ``StorageFaults`` plan:
/// the Nth call failing, a byte budget for puts, a delay on every call,
/// short reads.
package struct FaultyStorage: Storage {
    /// The wrapped storage.
    package let base: any Storage
    /// The plan.
    package let faults: StorageFaults

    /// What the wrapper claims it can do: the base's unless given.
    private let claimedCapabilities: StorageCapabilities?

    /// Wraps a storage.
    ///
    /// - Parameter capabilities: What to claim instead of the base's
    ///   capabilities (say, an object store's read size over a folder).
    package init(_ base: any Storage, faults: StorageFaults = StorageFaults(), capabilities: StorageCapabilities? = nil) {
        self.base = base
        self.faults = faults
        self.claimedCapabilities = capabilities
    }

    package var location: String { base.location }
    package var capabilities: StorageCapabilities { claimedCapabilities ?? base.capabilities }

    private func begin(_ call: StorageCall, _ name: ObjectName?, putBytes: Int = 0) async throws(StorageError) -> Bool {
        let (error, delay, short) = faults.begin(call, putBytes: putBytes)
        if let delay {
            try? await Task.sleep(for: delay)
        }
        if var error {
            if error.name == nil { error.name = name }
            throw error
        }
        return short
    }

    package func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        _ = try await begin(.put, name, putBytes: bytes.count)
        try await base.put(bytes, as: name)
    }

    package func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        let short = try await begin(.get, name)
        let bytes = try await base.get(name)
        return short ? Array(bytes.dropLast()) : bytes
    }

    package func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] {
        let short = try await begin(.getRange, name)
        let bytes = try await base.get(name, range: range)
        return short ? Array(bytes.dropLast()) : bytes
    }

    package func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo {
        _ = try await begin(.stat, name)
        return try await base.stat(name)
    }

    package func list(_ kind: ObjectKind) -> ObjectListing {
        let base = base
        let faults = faults
        return ObjectListing {
            let source = base.list(kind).makePageSource()
            return { () async throws(StorageError) -> [ObjectInfo]? in
                let (error, delay, _) = faults.begin(.list)
                if let delay { try? await Task.sleep(for: delay) }
                if let error { throw error }
                return try await source()
            }
        }
    }

    package func delete(_ name: ObjectName) async throws(StorageError) {
        _ = try await begin(.delete, name)
        try await base.delete(name)
    }
}
