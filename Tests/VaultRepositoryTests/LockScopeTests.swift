import Foundation
import Testing
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// Wraps a real storage and fails or stalls calls on lock files, as a test says.
private struct LockFaultStorage: Storage {
    /// What to do to lock files; changed while a test runs.
    final class Faults: @unchecked Sendable {
        private let lock = NSLock()
        private var _putFailure: StorageError.Code?
        private var _putsBeforeFailure = 0
        private var _putStall: Duration?
        private var _putsBeforeStall = 0
        private var _unreadable: Set<ObjectName> = []
        private var _lockPuts = 0

        /// Lock puts fail with this code once `putsBeforeFailure` more have succeeded.
        func failPuts(with code: StorageError.Code?, after count: Int = 0) {
            lock.withLock {
                _putFailure = code
                _putsBeforeFailure = count
            }
        }

        /// Lock puts take this long (a storage that hangs) once `putsBeforeStall` more have been quick.
        func stallPuts(for duration: Duration?, after count: Int = 0) {
            lock.withLock {
                _putStall = duration
                _putsBeforeStall = count
            }
        }

        /// Reading this object fails with an I/O error.
        func makeUnreadable(_ name: ObjectName) {
            lock.withLock { _ = _unreadable.insert(name) }
        }

        /// How many lock files were written.
        var lockPuts: Int { lock.withLock { _lockPuts } }

        fileprivate func beforePut() -> (failure: StorageError.Code?, stall: Duration?) {
            lock.withLock {
                _lockPuts += 1
                var stall = _putStall
                if _putsBeforeStall > 0 {
                    _putsBeforeStall -= 1
                    stall = nil
                }
                guard let failure = _putFailure else { return (nil, stall) }
                if _putsBeforeFailure > 0 {
                    _putsBeforeFailure -= 1
                    return (nil, stall)
                }
                return (failure, stall)
            }
        }

        fileprivate func isUnreadable(_ name: ObjectName) -> Bool {
            lock.withLock { _unreadable.contains(name) }
        }
    }

    let base: any Storage
    let faults = Faults()

    var location: String { base.location }

    func put(_ bytes: [UInt8], as name: ObjectName) async throws(StorageError) {
        if name.kind == .locks {
            let (failure, stall) = faults.beforePut()
            if let stall {
                try? await Task.sleep(for: stall)
            }
            if let failure {
                throw StorageError(failure, name: name, message: "injected failure writing \(name)")
            }
        }
        try await base.put(bytes, as: name)
    }

    func get(_ name: ObjectName) async throws(StorageError) -> [UInt8] {
        if faults.isUnreadable(name) {
            throw StorageError(.io, name: name, message: "injected I/O error reading \(name)")
        }
        return try await base.get(name)
    }

    func get(_ name: ObjectName, range: Range<Int64>) async throws(StorageError) -> [UInt8] { try await base.get(name, range: range) }
    func stat(_ name: ObjectName) async throws(StorageError) -> ObjectInfo { try await base.stat(name) }
    var capabilities: StorageCapabilities { base.capabilities }
    func list(_ kind: ObjectKind) -> ObjectListing { base.list(kind) }
    func delete(_ name: ObjectName) async throws(StorageError) { try await base.delete(name) }
}

/// A repository opened through ``LockFaultStorage``.
private struct FaultyRepository {
    let test: TestRepository
    let storage: LockFaultStorage
    let repository: Repository

    init() async throws {
        test = try await TestRepository(encrypted: false)
        storage = LockFaultStorage(base: test.storage)
        repository = try await Repository.open(storage) { "unused" }
    }
}

/// A short refresh interval for tests; a long maximum age, so that only a failed refresh (not a test run that starves the timer) ends the work.
/// (A CI run once stalled the whole test process for about 60 s, past the 60 s this was: see ``expectLost(_:code:reason:timing:elapsed:)``.)
private let quickTiming = LockTiming(refreshInterval: .milliseconds(100), maximumAge: .seconds(600), settle: .milliseconds(5))

/// Checks the error of work whose lock a test made the refresher lose: `code`, and a message naming `reason`.
///
/// When the whole test process stalls for longer than the maximum age (a CI
/// run once stalled about 60 s), the watchdog and the refresher are both
/// overdue when it resumes, and the watchdog may end the work first, with
/// "could not be refreshed". That path stopped the work too, and is
/// accepted, but only when the work really lasted the maximum age; the
/// caller checks in both cases that the work was cancelled and that no
/// lock file is left.
private func expectLost(_ error: RepositoryError, code: RepositoryError.Code, reason: String, timing: LockTiming, elapsed: Duration) {
    if error.message.contains("could not be refreshed"), elapsed >= timing.maximumAge {
        #expect(error.code == .storage)
        #expect(error.message.hasPrefix("lost the lock on "))
        return
    }
    #expect(error.code == code, "\(error)")
    #expect(error.message.contains(reason), "\(error)")
}

private let minute: Int64 = 60 * 1_000_000_000

/// Stores a lock file as another process would.
private func plantLock(_ lock: LockFile, in repository: Repository) async throws -> ObjectName {
    let id = try await repository.saveObject(RepositoryJSON.encode(lock), kind: .locks)
    return try ObjectName(kind: .locks, name: id.hex)
}

/// Waits, checking for cancellation, until the task is cancelled (or 10 s pass); returns whether it was cancelled.
private func waitForCancellation() async -> Bool {
    for _ in 0..<1000 {
        if Task.isCancelled { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return Task.isCancelled
}

@Suite("Locks: the scoped API, staleness, unreadable lock files")
struct LockScopeTests {
    @Test("withLock holds the lock while the work runs, returns its result and removes the lock, also when the work throws")
    func holdsAndReleases() async throws {
        let test = try await TestRepository(encrypted: true)
        let repository = test.repository
        let seen = try await repository.withLock(.exclusive) {
            try await RepositoryLock.locks(in: repository)
        }
        #expect(seen.count == 1)
        guard case .lock(_, let held)? = seen.first else {
            Issue.record("the lock is not readable: \(seen)")
            return
        }
        #expect(held.exclusive)
        #expect(held.pid == HostIdentity.processID)
        #expect(try await repository.list(.locks).isEmpty)

        struct Failure: Error {}
        await #expect(throws: Failure.self) {
            try await repository.withLock(.shared) { throw Failure() }
        }
        #expect(try await repository.list(.locks).isEmpty)
    }

    @Test("a foreign lock 29 minutes old is live: it blocks an exclusive lock and unlock leaves it; at 31 minutes it is stale")
    func twentyNineMinutesIsLive() async throws {
        let test = try await TestRepository(encrypted: false)
        let now = Timestamp.now()
        let foreign = LockFile(
            time: Timestamp(nanoseconds: now.nanoseconds - 29 * minute), exclusive: false, host: "other-host", pid: 1, user: "ada")
        let name = try await plantLock(foreign, in: test.repository)
        let error = try await #require(throws: RepositoryError.self) {
            try await test.repository.withLock(.exclusive) {}
        }
        #expect(error.code == .locked)
        #expect(error.message.contains("ada@other-host"))
        #expect(try await RepositoryLock.removeStale(in: test.repository).isEmpty)
        #expect(try await test.repository.list(.locks).map(\.name) == [name])
        // A shared lock does not conflict with it.
        try await test.repository.withLock(.shared) {}

        let old = LockFile(
            time: Timestamp(nanoseconds: now.nanoseconds - 31 * minute), exclusive: true, host: "other-host", pid: 1, user: "bob")
        #expect(old.isStale(now: now, localHost: HostIdentity.hostName))
        #expect(!foreign.isStale(now: now, localHost: HostIdentity.hostName))
    }

    @Test("a time-stale exclusive lock neither blocks acquiring nor survives unlock; a live lock beside it stays")
    func timeStaleLock() async throws {
        let test = try await TestRepository(encrypted: true)
        let stale = LockFile(
            time: Timestamp(nanoseconds: Timestamp.now().nanoseconds - 31 * minute), exclusive: true, host: "other-host", pid: 1, user: "bob")
        let staleName = try await plantLock(stale, in: test.repository)
        let live = try await RepositoryLock.acquire(test.repository, exclusive: false)
        let removed = try await RepositoryLock.removeStale(in: test.repository)
        #expect(removed == [.lock(staleName, stale)])
        #expect(try await test.repository.list(.locks).map(\.name) == [live.name])
        try await live.release()
        // Acquiring exclusively beside a stale lock works too.
        _ = try await plantLock(stale, in: test.repository)
        try await test.repository.withLock(.exclusive) {}
    }

    @Test("unlock removes no live lock; unlock --remove-all removes them all")
    func removeAll() async throws {
        let test = try await TestRepository(encrypted: false)
        let foreign = LockFile(time: .now(), exclusive: false, host: "other-host", pid: 1, user: "ada")
        let foreignName = try await plantLock(foreign, in: test.repository)
        let mine = try await RepositoryLock.acquire(test.repository, exclusive: false, settle: .zero)
        #expect(try await RepositoryLock.removeStale(in: test.repository).isEmpty)
        #expect(Set(try await test.repository.list(.locks).map(\.name)) == [foreignName, mine.name])
        let removed = try await RepositoryLock.removeStale(in: test.repository, all: true)
        #expect(Set(removed.map(\.name)) == [foreignName, mine.name])
        #expect(try await test.repository.list(.locks).isEmpty)
        try await mine.release() // already gone: not an error
    }

    @Test("a lock file of garbage conflicts with every lock, names itself, and unlock removes it")
    func garbageLockFile() async throws {
        let test = try await TestRepository(encrypted: true)
        let garbage = Array("not a lock".utf8)
        let name = try ObjectName(kind: .locks, name: SHA256Hasher.hash(garbage).hex)
        try await test.storage.put(garbage, as: name)
        let error = try await #require(throws: RepositoryError.self) {
            try await test.repository.withLock(.shared) {}
        }
        #expect(error.code == .locked)
        #expect(error.message.contains("unreadable lock file \(name)"))
        #expect(error.message.contains("vault unlock"))
        // The refused lock removed itself: only the garbage is left.
        #expect(try await test.repository.list(.locks).map(\.name) == [name])

        let removed = try await RepositoryLock.removeStale(in: test.repository)
        #expect(removed.map(\.name) == [name])
        #expect(try await test.repository.list(.locks).isEmpty)
        try await test.repository.withLock(.shared) {}
    }

    @Test("a lock file that cannot be read (I/O error) is a conflicting lock, not an absent one")
    func ioErrorLockFile() async throws {
        let faulty = try await FaultyRepository()
        let other = LockFile(time: .now(), exclusive: false, host: "other-host", pid: 1, user: "ada")
        let name = try await plantLock(other, in: faulty.repository)
        faulty.storage.faults.makeUnreadable(name)
        let error = try await #require(throws: RepositoryError.self) {
            try await faulty.repository.withLock(.shared) {}
        }
        #expect(error.code == .locked)
        #expect(error.message.contains("\(name)") && error.message.contains("injected I/O error"))
    }

    @Test("the lock is refreshed on a timer while the work makes no progress at all")
    func refreshesOnATimer() async throws {
        let faulty = try await FaultyRepository()
        let repository = faulty.repository
        // A long maximum age: a test run that starves the timer (busy machine) must not end the work.
        let timing = LockTiming(refreshInterval: .milliseconds(100), maximumAge: .seconds(600), settle: .zero)
        let observed = try await repository.withLock(.shared, timing: timing) {
            // The work sleeps: it never reports progress. Look at the lock now and then, until it was
            // seen refreshed four times (or 60 s pass: a machine too busy to run the timer at all).
            var times: [Timestamp] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while Set(times).count < 5, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                let entries = try await RepositoryLock.locks(in: repository)
                for case .lock(_, let lock) in entries {
                    times.append(lock.time)
                }
            }
            return times
        }
        #expect(faulty.storage.faults.lockPuts >= 5, "only \(faulty.storage.faults.lockPuts) lock files were written")
        #expect(Set(observed).count >= 5, "the lock's time changed only \(Set(observed).count - 1) times")
        #expect(observed == observed.sorted())
        #expect(try await repository.list(.locks).isEmpty)
    }

    @Test("a refresh that fails cancels the work, and withLock reports the lost lock")
    func failedRefreshCancels() async throws {
        let faulty = try await FaultyRepository()
        faulty.storage.faults.failPuts(with: .io, after: 1)
        let started = ContinuousClock.now
        let error = try await #require(throws: RepositoryError.self) {
            try await faulty.repository.withLock(.shared, timing: quickTiming) {
                let cancelled = await waitForCancellation()
                #expect(cancelled)
                throw CancellationError()
            }
        }
        #expect(error.message.hasPrefix("lost the lock on "))
        expectLost(error, code: .storage, reason: "injected failure", timing: quickTiming, elapsed: ContinuousClock.now - started)
        #expect(try await faulty.repository.list(.locks).isEmpty)
    }

    @Test("a refresh that hangs cancels the work once the lock is too old")
    func hangingRefreshCancels() async throws {
        let faulty = try await FaultyRepository()
        let timing = LockTiming(refreshInterval: .milliseconds(100), maximumAge: .milliseconds(300), settle: .zero)
        let faults = faulty.storage.faults
        let error = try await #require(throws: RepositoryError.self) {
            try await faulty.repository.withLock(.shared, timing: timing) {
                faults.stallPuts(for: .seconds(2))
                let cancelled = await waitForCancellation()
                #expect(cancelled)
                throw CancellationError()
            }
        }
        #expect(error.message.contains("could not be refreshed"))
        #expect(try await faulty.repository.list(.locks).isEmpty)
    }

    @Test("a lock removed by another process (unlock --remove-all) stops the work at the next refresh")
    func removedLockStops() async throws {
        let test = try await TestRepository(encrypted: false)
        let repository = test.repository
        // Only the refresh may notice: the watchdog waits far longer.
        let timing = LockTiming(refreshInterval: .milliseconds(100), maximumAge: .seconds(600), settle: .zero)
        let started = ContinuousClock.now
        let error = try await #require(throws: RepositoryError.self) {
            try await repository.withLock(.exclusive, timing: timing) {
                _ = try await RepositoryLock.removeStale(in: repository, all: true)
                let cancelled = await waitForCancellation()
                #expect(cancelled)
                throw CancellationError()
            }
        }
        expectLost(error, code: .locked, reason: "removed by another process", timing: timing, elapsed: ContinuousClock.now - started)
        // The fresh lock the failed refresh wrote is removed too.
        #expect(try await repository.list(.locks).isEmpty)
    }

    @Test("work that finishes keeps its result even when the lock is lost after it finished")
    func finishesFirst() async throws {
        let faulty = try await FaultyRepository()
        let faults = faulty.storage.faults
        // The acquisition's lock file is written; the first refresh hangs, and fails once
        // cancelled: only after the work has finished (the group cancels it then).
        faults.failPuts(with: .io, after: 1)
        faults.stallPuts(for: .seconds(600), after: 1)
        let value = try await faulty.repository.withLock(.shared, timing: quickTiming) {
            // Finish while the refresh is under way (the acquisition wrote the first lock file).
            for _ in 0..<1000 {
                if faults.lockPuts >= 2 { break }
                try? await Task.sleep(for: .milliseconds(10))
            }
            #expect(faults.lockPuts == 2, "the refresh did not start")
            return 42
        }
        #expect(value == 42)
        #expect(try await faulty.repository.list(.locks).isEmpty)
    }

    @Test("read-only or full storage: a required lock fails; a reader goes on without one after one warning")
    func unwritableStorage() async throws {
        for code in [StorageError.Code.permissionDenied, .noSpace] {
            let faulty = try await FaultyRepository()
            faulty.storage.faults.failPuts(with: code)
            let error = try await #require(throws: RepositoryError.self) {
                try await faulty.repository.withLock(.shared) {}
            }
            #expect(error.code == .storage)

            let warnings = WarningLog()
            let value = try await faulty.repository.withLock(.sharedUnlessUnwritable { warnings.append($0) }) { "read" }
            #expect(value == "read")
            #expect(warnings.lines.count == 1)
            #expect(warnings.lines.first?.contains(code == .noSpace ? "it is full" : "it is read-only") == true)

            // A live exclusive lock still stops a reader that cannot lock.
            let exclusive = LockFile(time: .now(), exclusive: true, host: "other-host", pid: 1, user: "ada")
            let name = try await plantLock(exclusive, in: faulty.test.repository)
            let blocked = try await #require(throws: RepositoryError.self) {
                try await faulty.repository.withLock(.sharedUnlessUnwritable { warnings.append($0) }) {}
            }
            #expect(blocked.code == .locked)
            #expect(blocked.message.contains("--no-lock"))
            try await faulty.test.storage.delete(name)
        }
    }

    @Test("no lock at all with .none")
    func noLock() async throws {
        let faulty = try await FaultyRepository()
        try await faulty.repository.withLock(.none) {}
        #expect(faulty.storage.faults.lockPuts == 0)
    }
}

/// Collects warnings from a Sendable callback.
private final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    func append(_ line: String) { lock.withLock { _lines.append(line) } }
    var lines: [String] { lock.withLock { _lines } }
}
