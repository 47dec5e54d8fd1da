import VaultCodecs
import VaultRepository
import VaultStorage

/// Checks that a repository is intact and says exactly what is lost
/// (`vault verify`).
///
/// The structural check reads no pack contents: key files match their
/// names; every index file loads; every pack the index names exists with
/// the recorded size and a header that lists the same blobs; every
/// snapshot loads; every tree of every snapshot loads (each distinct tree
/// once); and every chunk a tree names is in the index. With a
/// ``VerifyDataSelection`` other than `.none` it also reads the selected
/// packs whole: each pack's SHA-256 must be its name, and each blob must
/// open, decompress and hash to its ID.
///
/// Damaged and missing blobs are then traced to the snapshots and paths
/// that use them, so the report names every file that can no longer be
/// restored. A blob stored in several packs is lost only when every copy
/// is bad.
///
/// The verifier holds the lock ``locking`` names (shared by default) while
/// it runs (``Repository/withLock(_:timing:_:)``).
package struct RepositoryVerifier: Sendable {
    /// The repository to check.
    package var repository: Repository
    /// Which packs to read whole.
    package var readData: VerifyDataSelection
    /// How many packs are checked at once; reading holds at most this many
    /// read windows (``readWindowSize``) in memory.
    package var maximumConcurrentPacks: Int
    /// The lock the check takes.
    package var locking: LockPolicy = .shared
    /// How much of a pack is read at once when reading data (4 MiB); a
    /// window also holds the rest of the last blob that starts in it.
    package var readWindowSize: Int64 = VerifyPackReadPlan.defaultWindowSize

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - repository: The repository to check.
    ///   - readData: Which packs to read whole; `.none` for the structural check only.
    ///   - maximumConcurrentPacks: How many packs are checked at once (at least 1).
    package init(repository: Repository, readData: VerifyDataSelection = .none, maximumConcurrentPacks: Int = 4) {
        self.repository = repository
        self.readData = readData
        self.maximumConcurrentPacks = max(1, maximumConcurrentPacks)
    }

    /// Runs the check.
    ///
    /// Damage is never thrown: it is in the report.
    ///
    /// - Parameter progress: Called from time to time with how far the check has come.
    /// - Returns: What was found.
    /// - Throws: ``RepositoryError`` when the check cannot run at all: the
    ///   repository is locked (`.locked`), a listing fails or the lock cannot
    ///   be refreshed (`.storage`).
    package func run(progress: @escaping @Sendable (VerifyProgress) -> Void = { _ in }) async throws(RepositoryError) -> VerifyReport {
        do {
            return try await repository.withLock(locking) {
                var pass = VerifyPass(verifier: self, progress: progress)
                return try await pass.run()
            }
        } catch let error as RepositoryError {
            throw error
        } catch {
            throw RepositoryError(.storage, "\(error)")
        }
    }
}
