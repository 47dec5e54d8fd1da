import VaultRepository

/// The one place where `forget` and `prune` take the repository's
/// exclusive lock: ``Repository/withLock(_:timing:_:)`` with `.exclusive`,
/// which refreshes the lock on its own timer and cancels the work when the
/// lock is lost.
enum PruneLockScope {
    /// The held lock as the work sees it: a safe point at which to stop
    /// when the lock was lost (the work was cancelled).
    struct HeldLock: Sendable {
        /// Throws when the lock was lost, so that nothing more is deleted
        /// without it.
        func checkStillHeld() async throws(RepositoryError) {
            try RepositoryLock.checkCancellation()
        }
    }

    /// Runs `body` holding the exclusive lock, and releases it afterwards,
    /// also when `body` throws.
    ///
    /// - Throws: ``RepositoryError`` with code `.locked`, naming the holder,
    ///   when another process holds any lock; whatever `body` throws.
    static func exclusive<T: Sendable>(
        _ repository: Repository, _ body: @escaping @Sendable (HeldLock) async throws -> T
    ) async throws -> T {
        try await repository.withLock(.exclusive) { try await body(HeldLock()) }
    }
}
