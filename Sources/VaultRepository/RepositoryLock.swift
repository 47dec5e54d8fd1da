import VaultCodecs
import VaultStorage

/// A lock held on a repository (docs/format.md, "Locks").
///
/// Acquire it before an operation, refresh it while the operation runs
/// (``refreshIfDue()``; an operation that cannot refresh its lock must
/// stop), and release it at the end.
package struct RepositoryLock: Sendable {
    /// The repository locked.
    package let repository: Repository
    /// The lock's contents.
    package private(set) var lock: LockFile
    /// The lock object's name.
    package private(set) var name: ObjectName

    /// Takes a shared or exclusive lock.
    ///
    /// Writes the lock first, then looks for conflicting locks; on a
    /// conflict it removes its own lock again, so two processes racing for
    /// the repository cannot both win.
    ///
    /// - Throws: ``RepositoryError`` with code `.locked`, naming the holder.
    package static func acquire(_ repository: Repository, exclusive: Bool) async throws(RepositoryError) -> RepositoryLock {
        let lock = LockFile(time: .now(), exclusive: exclusive, host: HostIdentity.hostName, pid: HostIdentity.processID, user: HostIdentity.userName)
        let id = try await repository.saveObject(RepositoryJSON.encode(lock), kind: .locks)
        let held = RepositoryLock(repository: repository, lock: lock, name: try! ObjectName(kind: .locks, name: id.hex))
        let others: [(ObjectName, LockFile)]
        do {
            others = try await Self.locks(in: repository)
        } catch {
            try? await held.release()
            throw error
        }
        for (otherName, other) in others where otherName != held.name {
            if lock.conflicts(with: other), !other.isStale(now: .now(), localHost: lock.host) {
                try? await held.release()
                throw RepositoryError(.locked, "the repository is locked: \(other.summary); if that process is gone, run 'vault unlock'")
            }
        }
        return held
    }

    /// Every lock in the repository; unreadable lock files are skipped.
    package static func locks(in repository: Repository) async throws(RepositoryError) -> [(ObjectName, LockFile)] {
        var result: [(ObjectName, LockFile)] = []
        for info in try await repository.list(.locks) {
            do {
                let bytes = try await repository.loadObject(info.name)
                result.append((info.name, try RepositoryJSON.decode(LockFile.self, from: bytes, what: "\(info.name)")))
            } catch where error.code == .damaged || error.code == .storage {
                // A lock deleted while listing, or garbage: neither holds the repository.
                continue
            }
        }
        return result
    }

    /// Removes stale locks (or all locks with `all`).
    ///
    /// - Returns: The removed locks.
    package static func removeStale(in repository: Repository, all: Bool = false) async throws(RepositoryError) -> [LockFile] {
        var removed: [LockFile] = []
        let host = HostIdentity.hostName
        for (name, lock) in try await locks(in: repository) where all || lock.isStale(now: .now(), localHost: host) {
            do {
                try await repository.storage.delete(name)
                removed.append(lock)
            } catch where error.code == .notFound {
                continue
            } catch {
                throw RepositoryError(error)
            }
        }
        return removed
    }

    /// Writes a fresh lock and removes the old one, if the last refresh is
    /// older than the refresh interval.
    package mutating func refreshIfDue() async throws(RepositoryError) {
        let now = Timestamp.now()
        guard now.nanoseconds - lock.time.nanoseconds >= LockFile.refreshIntervalNanoseconds else { return }
        try await refresh()
    }

    /// Writes a fresh lock and removes the old one.
    package mutating func refresh() async throws(RepositoryError) {
        var fresh = lock
        fresh.time = .now()
        let id = try await repository.saveObject(RepositoryJSON.encode(fresh), kind: .locks)
        let oldName = name
        lock = fresh
        name = try! ObjectName(kind: .locks, name: id.hex)
        if oldName != name {
            try? await repository.storage.delete(oldName)
        }
    }

    /// Removes the lock.
    package func release() async throws(RepositoryError) {
        do {
            try await repository.storage.delete(name)
        } catch where error.code == .notFound {
            // Someone ran `unlock --remove-all`; nothing left to release.
        } catch {
            throw RepositoryError(error)
        }
    }
}
