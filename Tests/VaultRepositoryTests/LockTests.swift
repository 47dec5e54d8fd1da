import Testing
import VaultStorage
@testable import VaultRepository

@Suite("Locks")
struct LockTests {
    @Test("shared locks coexist; an exclusive lock conflicts with any other")
    func conflicts() async throws {
        let test = try await TestRepository()
        let first = try await RepositoryLock.acquire(test.repository, exclusive: false)
        let second = try await RepositoryLock.acquire(test.repository, exclusive: false)
        let error = try await #require(throws: RepositoryError.self) {
            _ = try await RepositoryLock.acquire(test.repository, exclusive: true)
        }
        #expect(error.code == .locked)
        #expect(error.message.contains("vault unlock"))
        // The refused lock removed itself.
        #expect(try await test.repository.list(.locks).count == 2)
        try await first.release()
        try await second.release()
        let exclusive = try await RepositoryLock.acquire(test.repository, exclusive: true)
        await #expect(throws: RepositoryError.self) { _ = try await RepositoryLock.acquire(test.repository, exclusive: false) }
        try await exclusive.release()
        #expect(try await test.repository.list(.locks).isEmpty)
    }

    @Test("a lock of a process that is gone, or older than 30 minutes, is stale")
    func staleness() {
        let now = Timestamp.now()
        let host = HostIdentity.hostName
        let live = LockFile(time: now, exclusive: true, host: host, pid: HostIdentity.processID, user: "u")
        #expect(!live.isStale(now: now, localHost: host))
        // PIDs above the kernel's maximum (4194304) never exist.
        let gone = LockFile(time: now, exclusive: true, host: host, pid: 99_999_999, user: "u")
        #expect(gone.isStale(now: now, localHost: host))
        let elsewhere = LockFile(time: now, exclusive: true, host: "other-host", pid: 99_999_999, user: "u")
        #expect(!elsewhere.isStale(now: now, localHost: host))
        let old = LockFile(time: Timestamp(nanoseconds: now.nanoseconds - 31 * 60 * 1_000_000_000), exclusive: true, host: "other-host", pid: 1, user: "u")
        #expect(old.isStale(now: now, localHost: host))
    }

    @Test("stale locks do not block, and unlock removes them but not live ones")
    func staleLocksIgnoredAndRemoved() async throws {
        let test = try await TestRepository()
        let dead = LockFile(time: .now(), exclusive: true, host: HostIdentity.hostName, pid: 99_999_999, user: "u")
        _ = try await test.repository.saveObject(RepositoryJSON.encode(dead), kind: .locks)
        let live = try await RepositoryLock.acquire(test.repository, exclusive: false)
        let removed = try await RepositoryLock.removeStale(in: test.repository)
        #expect(removed.map(\.summary) == [dead.summary])
        #expect(try await test.repository.list(.locks).map(\.name) == [live.name])
        try await live.release()
    }

    @Test("refreshing replaces the lock object with a newer one")
    func refresh() async throws {
        let test = try await TestRepository()
        var lock = try await RepositoryLock.acquire(test.repository, exclusive: false)
        let before = lock.name
        try await Task.sleep(nanoseconds: 2_000_000)
        try await lock.refresh()
        #expect(lock.name != before)
        #expect(try await test.repository.list(.locks).map(\.name) == [lock.name])
        try await lock.release()
    }
}
