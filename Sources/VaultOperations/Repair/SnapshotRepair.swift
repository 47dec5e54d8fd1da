import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault repair snapshots`: finds snapshot files that are damaged and,
/// when asked explicitly, removes them.
///
/// A damaged snapshot file cannot be read, so nothing it named can be
/// restored through it; removing it lets every listing run clean. The
/// data it used stays until prune decides about it. Runs under an
/// exclusive lock when it removes anything.
package struct SnapshotRepair: Sendable {
    /// What the repair found and did.
    package struct Outcome: Sendable {
        /// The damaged snapshot files, and why.
        package var damaged: [(id: SnapshotID, reason: String)] = []
        /// The ones removed.
        package var removed: [SnapshotID] = []
    }

    /// The repository.
    package var repository: Repository
    /// Whether to remove the damaged snapshot files (otherwise they are only listed).
    package var forgetDamaged: Bool

    /// Creates a repair.
    package init(repository: Repository, forgetDamaged: Bool) {
        self.repository = repository
        self.forgetDamaged = forgetDamaged
    }

    /// Finds the damaged snapshots and removes them when ``forgetDamaged`` is set.
    ///
    /// - Throws: ``RepositoryError`` when the snapshots cannot be listed or read, or one cannot be removed.
    package func run() async throws -> Outcome {
        guard forgetDamaged else {
            return Outcome(damaged: try await repository.snapshotCatalog().damaged.map { ($0.id, $0.error.message) })
        }
        let repository = self.repository
        return try await repository.withLock(.exclusive) {
            // Listed again under the lock: what is removed is what is damaged now.
            var outcome = Outcome(damaged: try await repository.snapshotCatalog().damaged.map { ($0.id, $0.error.message) })
            for (id, _) in outcome.damaged {
                try await Self.delete(ObjectName(id), in: repository.storage)
                outcome.removed.append(id)
            }
            return outcome
        }
    }

    private static func delete(_ name: ObjectName, in storage: any Storage) async throws(RepositoryError) {
        do {
            try await storage.delete(name)
        } catch where error.code == .notFound {
            // Removed by someone else meanwhile.
        } catch {
            throw RepositoryError(error)
        }
    }
}
