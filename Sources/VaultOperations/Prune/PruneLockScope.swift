import VaultRepository

/// The one place where `forget` and `prune` take the repository's exclusive
/// lock. (When the repository gains `withLock(.exclusive) { … }`, this is
/// the only code to switch.)
enum PruneLockScope {
    /// A held lock that the operation refreshes as it goes.
    actor HeldLock {
        private var lock: RepositoryLock

        init(_ lock: RepositoryLock) {
            self.lock = lock
        }

        /// Writes a fresh lock when the refresh interval has passed; an
        /// operation that cannot refresh its lock stops.
        func refreshIfDue() async throws(RepositoryError) {
            var current = lock
            try await current.refreshIfDue()
            lock = current
        }

        func release() async {
            let current = lock
            try? await current.release()
        }
    }

    /// Runs `body` holding the exclusive lock, and releases it afterwards,
    /// also when `body` throws.
    ///
    /// - Throws: ``RepositoryError`` with code `.locked`, naming the holder,
    ///   when another process holds any lock; whatever `body` throws.
    static func exclusive<T: Sendable>(
        _ repository: Repository, _ body: (HeldLock) async throws -> T
    ) async throws -> T {
        let held = HeldLock(try await RepositoryLock.acquire(repository, exclusive: true))
        do {
            let result = try await body(held)
            await held.release()
            return result
        } catch {
            await held.release()
            throw error
        }
    }
}
