import Synchronization
import VaultStorage

/// Which lock an operation takes, and what it does when it cannot write one.
///
/// Operations that add data (backup, mirror copying) take `.shared`;
/// operations that remove data (prune, repair, mirror `--delete` on its
/// destination) take `.exclusive`. Commands that only read take
/// ``sharedUnlessUnwritable(warning:)`` so that they work on read-only
/// media, and ``none`` with `--no-lock`.
package struct LockPolicy: Sendable {
    /// The lock, or `nil` for none.
    package var exclusive: Bool?
    /// When set, storage that refuses the lock file (read-only media, a
    /// full disk) is no error: the work goes on without a lock, after
    /// this is told why in one line.
    package var unlockedWarning: (@Sendable (String) -> Void)?

    /// A shared lock: many holders at once, but no exclusive one.
    package static let shared = LockPolicy(exclusive: false, unlockedWarning: nil)
    /// An exclusive lock: no other holder at all.
    package static let exclusive = LockPolicy(exclusive: true, unlockedWarning: nil)
    /// No lock (`--no-lock`): the caller takes the risk of reading while
    /// another process removes data.
    package static let none = LockPolicy(exclusive: nil, unlockedWarning: nil)

    /// A shared lock when the storage takes one; on read-only or full
    /// storage, none, after `warning` is told why. (A live exclusive lock
    /// still stops the work then.)
    package static func sharedUnlessUnwritable(warning: @escaping @Sendable (String) -> Void) -> LockPolicy {
        LockPolicy(exclusive: false, unlockedWarning: warning)
    }
}

/// How a held lock is kept alive.
///
/// Others take a lock for stale 30 minutes after its last refresh
/// (``LockFile/staleAfterNanoseconds``); the holder refreshes it every
/// ``refreshInterval`` and stops its work when no refresh has succeeded
/// for ``maximumAge``, well before that.
package struct LockTiming: Sendable {
    /// How often the holder writes a fresh lock file.
    package var refreshInterval: Duration
    /// How long the work may go on after the last successful refresh
    /// before it is cancelled: a refresh failed silently or hangs.
    package var maximumAge: Duration
    /// How long acquiring waits between writing the lock and listing the
    /// locks again (for storage whose listings lag behind writes).
    package var settle: Duration

    /// Creates a timing.
    package init(refreshInterval: Duration, maximumAge: Duration, settle: Duration) {
        self.refreshInterval = refreshInterval
        self.maximumAge = maximumAge
        self.settle = settle
    }

    /// Refresh every 5 minutes; stop after 22.5 minutes without a
    /// successful refresh (30 minutes stale, less one and a half refresh
    /// intervals, as restic does); settle for 50 ms.
    package static let standard = LockTiming(
        refreshInterval: .seconds(LockFile.refreshIntervalNanoseconds / 1_000_000_000),
        maximumAge: .seconds(LockFile.staleAfterNanoseconds / 1_000_000_000) - .seconds(LockFile.refreshIntervalNanoseconds / 1_000_000_000) * 1.5,
        settle: .milliseconds(50)
    )
}

extension Repository {
    /// Runs `body` while holding a lock on the repository: the one way an
    /// operation locks a repository.
    ///
    ///     let report = try await repository.withLock(.exclusive) {
    ///         try await removeUnusedPacks()
    ///     }
    ///
    /// The lock is written before `body` starts (acquire by create, wait
    /// ``LockTiming/settle``, list again: of two processes locking at the
    /// same moment, at most one goes on), refreshed every
    /// ``LockTiming/refreshInterval`` by a task of its own, whether or not
    /// `body` makes progress, and removed when `body` returns or throws.
    ///
    /// `body` runs in a child task. When a refresh fails, or none has
    /// succeeded for ``LockTiming/maximumAge``, that task is cancelled and
    /// `withLock` throws the lock's error once `body` has returned: `body`
    /// must check for cancellation at its safe points
    /// (``RepositoryLock/checkCancellation()``, `Task.isCancelled`,
    /// `InterruptFlag.check()`), and must not write anything that needs
    /// the lock after cancellation.
    ///
    /// - Parameters:
    ///   - policy: The lock to take (`.shared`, `.exclusive`), and whether
    ///     read-only storage may do without one.
    ///   - timing: How the lock is kept alive; tests shorten it.
    ///   - body: The work.
    /// - Returns: What `body` returned.
    /// - Throws: ``RepositoryError`` with code `.locked` when another process
    ///   holds a conflicting lock (an unreadable lock file counts as one);
    ///   `.storage` when the lock cannot be written or kept; whatever `body`
    ///   throws.
    package func withLock<Result: Sendable>(
        _ policy: LockPolicy, timing: LockTiming = .standard, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await Self.withLock(policy, storage: storage, cipher: cipher, timing: timing, body)
    }

    /// Runs `body` while holding a lock on a copy of this repository at
    /// `storage` (a mirror): the lock file is sealed with this
    /// repository's keys, which the copy shares. See
    /// ``withLock(_:timing:_:)``.
    package func withLock<Result: Sendable>(
        _ policy: LockPolicy, on storage: any Storage, timing: LockTiming = .standard, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await Self.withLock(policy, storage: storage, cipher: cipher, timing: timing, body)
    }

    private static func withLock<Result: Sendable>(
        _ policy: LockPolicy, storage: any Storage, cipher: ObjectCipher, timing: LockTiming,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        guard let exclusive = policy.exclusive else {
            return try await body()
        }
        let lock: RepositoryLock
        switch try await RepositoryLock.attempt(storage: storage, cipher: cipher, exclusive: exclusive, settle: timing.settle) {
        case .acquired(let acquired):
            lock = acquired
        case .unwritable(let error):
            guard let warning = policy.unlockedWarning else {
                throw RepositoryError(error)
            }
            try await RepositoryLock.checkForExclusiveHolder(storage: storage, cipher: cipher)
            warning("cannot lock \(storage.location) (\(error.code == .noSpace ? "it is full" : "it is read-only")): going on without a lock")
            return try await body()
        }

        let keeper = LockKeeper(lock, timing: timing)
        let (outcome, lost) = await keeper.run(body)
        let released = await keeper.release()
        if let lost {
            throw lost
        }
        let result = try outcome.get()
        try released.get()
        return result
    }
}

extension RepositoryLock {
    /// Throws when the current task was cancelled: what work inside
    /// ``Repository/withLock(_:timing:_:)`` calls at its safe points, so
    /// that it stops when its lock is lost. (`withLock` then throws the
    /// lock's error in place of this one.)
    package static func checkCancellation() throws(RepositoryError) {
        if Task.isCancelled {
            throw RepositoryError(.storage, "the operation was cancelled")
        }
    }
}

/// Keeps one lock alive while work runs: a refresher writes a fresh lock
/// every interval, and a watchdog cancels the work when no refresh has
/// succeeded for too long (a refresh that hangs on slow storage never
/// returns an error, so a failed refresh alone is not enough).
private final class LockKeeper: Sendable {
    private struct State {
        var lock: RepositoryLock
        /// When the last successful refresh (or the acquisition) began.
        var refreshed: ContinuousClock.Instant
    }

    /// How the refresher or the watchdog ended.
    private enum MonitorEvent: Sendable {
        case lost(RepositoryError)
        case stopped
    }

    /// How a child task of ``run(_:)`` ended.
    private enum Event<Value: Sendable>: Sendable {
        case finished(Swift.Result<Value, any Error>)
        case monitor(MonitorEvent)
    }

    private let state: Mutex<State>
    private let timing: LockTiming

    init(_ lock: RepositoryLock, timing: LockTiming) {
        state = Mutex(State(lock: lock, refreshed: .now))
        self.timing = timing
    }

    /// Runs `body` in a child task beside the refresher and the watchdog.
    ///
    /// - Returns: What `body` came to, and the error that lost the lock, if it was lost.
    func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async -> (Swift.Result<Value, any Error>, RepositoryError?) {
        var outcome: Swift.Result<Value, any Error>?
        var lost: RepositoryError?
        await withTaskGroup(of: Event<Value>.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await body()))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask { .monitor(await self.refreshPeriodically()) }
            group.addTask { .monitor(await self.watch()) }
            while let event = await group.next() {
                switch event {
                case .finished(let result):
                    outcome = result
                    group.cancelAll()
                case .monitor(.lost(let error)):
                    // Lost after the work finished: the work was done under the lock.
                    if lost == nil, outcome == nil {
                        lost = error
                    }
                    group.cancelAll()
                case .monitor(.stopped):
                    break
                }
            }
        }
        return (outcome ?? .failure(RepositoryError(.storage, "the operation was cancelled")), lost)
    }

    /// Removes the lock.
    func release() async -> Swift.Result<Void, RepositoryError> {
        let lock = state.withLock { $0.lock }
        do {
            try await lock.release()
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// Writes a fresh lock every refresh interval until cancelled.
    private func refreshPeriodically() async -> MonitorEvent {
        while true {
            let due = state.withLock { $0.refreshed } + timing.refreshInterval
            do {
                try await Task.sleep(until: due, clock: .continuous)
            } catch {
                return .stopped
            }
            let started = ContinuousClock.now
            var lock = state.withLock { $0.lock }
            do {
                try await lock.refresh()
            } catch {
                // A refresh that wrote its fresh lock before failing must have that one removed at the end.
                state.withLock { $0.lock = lock }
                let location = lock.storage.location
                return .lost(RepositoryError(error.code, "lost the lock on \(location): \(error.message); stopped"))
            }
            state.withLock {
                $0.lock = lock
                $0.refreshed = started
            }
        }
    }

    /// Returns `.lost` when no refresh has succeeded for the maximum age.
    private func watch() async -> MonitorEvent {
        while true {
            let deadline = state.withLock { $0.refreshed } + timing.maximumAge
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return .stopped
            }
            let (refreshed, location) = state.withLock { ($0.refreshed, $0.lock.storage.location) }
            if ContinuousClock.now - refreshed >= timing.maximumAge {
                return .lost(RepositoryError(
                    .storage, "lost the lock on \(location): it could not be refreshed for \(timing.maximumAge) (is the storage too slow?); stopped"
                ))
            }
        }
    }
}
