import VaultCodecs
import VaultStorage

/// One lock file held on a repository (docs/format.md, "Locks"): the
/// building block of ``Repository/withLock(_:timing:_:)``.
///
/// Operations do not use this type directly: `withLock` acquires the
/// lock, refreshes it on a timer while the work runs, and releases it.
/// Tests use it to stand in for another process holding a lock.
package struct RepositoryLock: Sendable {
    /// Where the lock file is.
    package let storage: any Storage
    /// Seals the lock file (the repository's cipher).
    let cipher: ObjectCipher
    /// The lock's contents.
    package private(set) var lock: LockFile
    /// The lock object's name.
    package private(set) var name: ObjectName

    /// What trying to write a lock file came to.
    enum Attempt {
        /// The lock is held.
        case acquired(RepositoryLock)
        /// The storage refused to store the lock file: it is read-only or full.
        case unwritable(StorageError)
    }

    /// Takes a shared or exclusive lock.
    ///
    /// - Throws: ``RepositoryError`` with code `.locked`, naming the holder,
    ///   when a conflicting lock exists (an unreadable lock file counts as
    ///   one); `.storage` when the lock file cannot be written.
    package static func acquire(
        _ repository: Repository, exclusive: Bool, settle: Duration = LockTiming.standard.settle
    ) async throws(RepositoryError) -> RepositoryLock {
        switch try await attempt(storage: repository.storage, cipher: repository.cipher, exclusive: exclusive, settle: settle) {
        case .acquired(let lock): return lock
        case .unwritable(let error): throw RepositoryError(error)
        }
    }

    /// Writes a lock file, then looks for conflicting locks; on storage
    /// whose listings may lag behind its writes, twice, a moment apart.
    ///
    /// Every contender writes its lock before it looks, so of two
    /// processes that lock at the same moment at least one sees the
    /// other's lock: where a listing shows every write that finished
    /// before it began (``StorageCapabilities/listingIsImmediatelyConsistent``),
    /// the later of the two listings sees the other lock; elsewhere the
    /// second listing covers a little lag. A contender that sees a conflict
    /// removes its own lock again. Both may lose; both never win.
    static func attempt(
        storage: any Storage, cipher: ObjectCipher, exclusive: Bool, settle: Duration
    ) async throws(RepositoryError) -> Attempt {
        let lock = LockFile(time: .now(), exclusive: exclusive, host: HostIdentity.hostName, pid: HostIdentity.processID, user: HostIdentity.userName)
        let name: ObjectName
        do {
            name = try await write(lock, to: storage, cipher: cipher)
        } catch where error.code == .permissionDenied || error.code == .noSpace {
            return .unwritable(error)
        } catch {
            throw RepositoryError(error)
        }
        let held = RepositoryLock(storage: storage, cipher: cipher, lock: lock, name: name)
        do {
            try await held.checkForConflicts()
            if settle > .zero, !storage.capabilities.listingIsImmediatelyConsistent {
                try? await Task.sleep(for: settle)
                try await held.checkForConflicts()
            }
        } catch {
            try? await held.release()
            throw error
        }
        return .acquired(held)
    }

    /// Throws when another lock conflicts with this one.
    private func checkForConflicts() async throws(RepositoryError) {
        let now = Timestamp.now()
        for entry in try await Self.entries(storage: storage, cipher: cipher) where entry.name != name {
            if let conflict = entry.conflict(with: lock, now: now) {
                throw RepositoryError(.locked, "the repository is locked: \(conflict); if no other vault uses the repository, run 'vault unlock'")
            }
        }
    }

    /// Throws when a live exclusive lock, or an unreadable lock file, is
    /// in the repository: what a reader that cannot write a lock of its
    /// own checks before it goes on without one.
    static func checkForExclusiveHolder(storage: any Storage, cipher: ObjectCipher) async throws(RepositoryError) {
        let reader = LockFile(time: .now(), exclusive: false, host: HostIdentity.hostName, pid: HostIdentity.processID, user: HostIdentity.userName)
        for entry in try await entries(storage: storage, cipher: cipher) {
            if let conflict = entry.conflict(with: reader, now: reader.time) {
                throw RepositoryError(.locked, "the repository is locked: \(conflict); pass --no-lock to read it anyway")
            }
        }
    }

    /// Every object under `locks/`, read: a lock, or a file that cannot be
    /// read as one. A lock removed while listing is left out.
    package static func locks(in repository: Repository) async throws(RepositoryError) -> [LockEntry] {
        try await entries(storage: repository.storage, cipher: repository.cipher)
    }

    static func entries(storage: any Storage, cipher: ObjectCipher) async throws(RepositoryError) -> [LockEntry] {
        let listing = try await Repository.storageCall { () async throws(StorageError) in try await storage.listAll(.locks) }
        var result: [LockEntry] = []
        for info in listing.sorted(by: { $0.name < $1.name }) {
            let bytes: [UInt8]
            do {
                bytes = try await storage.get(info.name)
            } catch where error.code == .notFound {
                continue // released while we listed
            } catch {
                result.append(.unreadable(info.name, reason: error.message))
                continue
            }
            guard SHA256Hasher.hash(bytes).hex == info.name.name else {
                result.append(.unreadable(info.name, reason: "its contents do not match its name"))
                continue
            }
            do throws(RepositoryError) {
                let plaintext = try cipher.open(bytes, what: "\(info.name)")
                result.append(.lock(info.name, try RepositoryJSON.decode(LockFile.self, from: plaintext, what: "\(info.name)")))
            } catch {
                result.append(.unreadable(info.name, reason: error.message))
            }
        }
        return result
    }

    /// Removes stale locks and lock files that cannot be read (or, with
    /// `all`, every lock).
    ///
    /// - Returns: The removed entries.
    package static func removeStale(in repository: Repository, all: Bool = false) async throws(RepositoryError) -> [LockEntry] {
        var removed: [LockEntry] = []
        let host = HostIdentity.hostName
        let now = Timestamp.now()
        for entry in try await locks(in: repository) {
            switch entry {
            case .lock(_, let lock) where !all && !lock.isStale(now: now, localHost: host):
                continue
            default:
                break
            }
            do {
                try await repository.storage.delete(entry.name)
                removed.append(entry)
            } catch where error.code == .notFound {
                continue
            } catch {
                throw RepositoryError(error)
            }
        }
        return removed
    }

    /// Writes a fresh lock, then removes the old one.
    ///
    /// - Throws: ``RepositoryError``: `.storage` when the fresh lock cannot be
    ///   written; `.locked` when the old lock was gone (someone ran
    ///   `vault unlock --remove-all`, or took it for stale: another process
    ///   may hold the repository now).
    package mutating func refresh() async throws(RepositoryError) {
        var fresh = lock
        fresh.time = .now()
        let freshName: ObjectName
        do {
            freshName = try await Self.write(fresh, to: storage, cipher: cipher)
        } catch {
            throw RepositoryError(error)
        }
        let oldName = name
        lock = fresh
        name = freshName
        guard oldName != freshName else { return }
        do {
            try await storage.delete(oldName)
        } catch where error.code == .notFound {
            throw RepositoryError(.locked, "the lock \(oldName) was removed by another process (vault unlock?): another process may hold the repository now")
        } catch {
            // The old lock file stays behind and goes stale; the fresh one holds the repository.
        }
    }

    /// Removes the lock.
    package func release() async throws(RepositoryError) {
        do {
            try await storage.delete(name)
        } catch where error.code == .notFound {
            // Someone ran `unlock --remove-all`; nothing left to release.
        } catch {
            throw RepositoryError(error)
        }
    }

    /// Seals and stores a lock file under the SHA-256 of its sealed bytes.
    private static func write(_ lock: LockFile, to storage: any Storage, cipher: ObjectCipher) async throws(StorageError) -> ObjectName {
        let sealed = cipher.seal(RepositoryJSON.encode(lock))
        let name: ObjectName
        do {
            name = try ObjectName(kind: .locks, name: SHA256Hasher.hash(sealed).hex)
        } catch {
            throw StorageError(.invalidName, name: nil, message: "cannot name a lock file: \(error)")
        }
        do {
            try await storage.put(sealed, as: name)
        } catch where error.code == .alreadyExists {
            // The same bytes: the same lock, written twice within a nanosecond.
        }
        return name
    }
}

/// One object under `locks/`: a lock, or a file that cannot be read as one.
///
/// An unreadable lock file (an I/O error, garbage, a forged name) might be
/// a live lock: it conflicts with every lock until `vault unlock` removes it.
package enum LockEntry: Sendable, Equatable {
    /// A lock file that reads and decodes.
    case lock(ObjectName, LockFile)
    /// A lock file that cannot be read, and why.
    case unreadable(ObjectName, reason: String)

    /// The lock file's name.
    package var name: ObjectName {
        switch self {
        case .lock(let name, _), .unreadable(let name, _): name
        }
    }

    /// A one-line description for messages.
    package var summary: String {
        switch self {
        case .lock(_, let lock): lock.summary
        case .unreadable(let name, let reason): "unreadable lock file \(name) (\(reason))"
        }
    }

    /// Why this entry keeps `lock` from being held, or `nil` when it does not.
    func conflict(with lock: LockFile, now: Timestamp) -> String? {
        switch self {
        case .lock(_, let other):
            lock.conflicts(with: other) && !other.isStale(now: now, localHost: lock.host) ? other.summary : nil
        case .unreadable:
            summary
        }
    }
}
