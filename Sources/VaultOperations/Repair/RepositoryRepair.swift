import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault verify --repair-from MIRROR`: replaces every damaged or missing
/// object of a repository with the mirror's copy.
///
/// Verify finds what is damaged; objects the mirror holds and the
/// repository lacks (a deleted pack, index file or snapshot) count as
/// missing. Each replacement is checked by its name (its SHA-256) before
/// it is written, so a damaged mirror copy never replaces anything. A
/// second verify then says what, if anything, is still lost.
package struct RepositoryRepair: Sendable {
    /// What a repair did.
    package struct Outcome: Sendable {
        /// What verify found before the repair.
        package var before: VerifyReport
        /// Objects replaced or restored from the mirror.
        package var repaired: [ObjectName] = []
        /// Objects that could not be repaired, and why.
        package var unrepairable: [(name: ObjectName, reason: String)] = []
        /// What verify finds after the repair.
        package var after: VerifyReport
    }

    /// The repository to repair.
    package var repository: Repository
    /// The mirror's storage.
    package var mirror: any Storage
    /// Which pack contents verify reads (before and after).
    package var readData: VerifyDataSelection

    /// Creates a repair.
    package init(repository: Repository, mirror: any Storage, readData: VerifyDataSelection) {
        self.repository = repository
        self.mirror = mirror
        self.readData = readData
    }

    /// Verifies, repairs from the mirror, and verifies again.
    ///
    /// - Throws: ``OperationError`` with code `.targetFailed` when the mirror
    ///   holds another repository; ``RepositoryError``.
    package func run(progress: @escaping @Sendable (VerifyProgress) -> Void = { _ in }) async throws -> Outcome {
        let storage = repository.storage
        let sourceConfig = try await RepositoryMirror.call { () async throws(StorageError) in try await storage.get(.config) }
        let mirrorConfig = try await RepositoryMirror.call { () async throws(StorageError) in try await mirror.get(.config) }
        guard sourceConfig == mirrorConfig else {
            throw OperationError(.targetFailed, "\(mirror.location) is not a mirror of this repository: their configurations differ")
        }

        let before = try await RepositoryVerifier(repository: repository, readData: readData).run(progress: progress)
        var outcome = Outcome(before: before, after: before)
        var attempted = Set<ObjectName>()
        // Restoring a lost index file can reveal damage in packs verify could
        // not check before; so repair, verify again, and repeat while that
        // finds something new.
        while true {
            var wanted = Set(Self.damagedObjects(in: outcome.after))
            for kind in [ObjectKind.keys, .data, .index, .snapshots] {
                let present = Set(try await repository.list(kind).map(\.name))
                for info in try await RepositoryMirror.call({ () async throws(StorageError) in try await mirror.listAll(kind) })
                where !present.contains(info.name) {
                    wanted.insert(info.name)
                }
            }
            wanted.subtract(attempted)
            guard !wanted.isEmpty else { break }
            attempted.formUnion(wanted)
            // Packs before index files before snapshots, as every writer does.
            let batch = wanted.sorted(by: Self.writeOrder)
            let results = try await repository.withLock(.exclusive) {
                var results: [(name: ObjectName, failure: String?)] = []
                for name in batch {
                    try RepositoryLock.checkCancellation()
                    results.append((name, try await replace(name)))
                }
                return results
            }
            for (name, failure) in results {
                if let failure {
                    outcome.unrepairable.append((name, failure))
                } else {
                    outcome.repaired.append(name)
                }
            }
            outcome.after = try await RepositoryVerifier(repository: repository, readData: readData).run(progress: progress)
        }
        return outcome
    }

    /// Copies one object from the mirror over the repository's.
    ///
    /// - Returns: Why it could not be repaired, or `nil` when it was.
    private func replace(_ name: ObjectName) async throws -> String? {
        let bytes: [UInt8]
        do {
            bytes = try await mirror.get(name)
        } catch where error.code == .notFound {
            return "the mirror does not have it"
        } catch {
            return "the mirror's copy cannot be read: \(error.message)"
        }
        guard SHA256Hasher.hash(bytes).hex == name.name else {
            return "the mirror's copy is damaged too"
        }
        do {
            try await repository.storage.delete(name)
        } catch where error.code == .notFound {
            // Missing: nothing to remove.
        } catch {
            throw RepositoryError(error)
        }
        do {
            try await repository.storage.put(bytes, as: name)
        } catch {
            throw RepositoryError(error)
        }
        return nil
    }

    /// The objects verify found damaged or missing.
    static func damagedObjects(in report: VerifyReport) -> [ObjectName] {
        report.problems.compactMap { finding -> ObjectName? in
            switch finding.object {
            case .key(let id): ObjectName(id)
            case .index(let id): ObjectName(id)
            case .pack(let id): ObjectName(id)
            case .blob(_, _, let pack?): ObjectName(pack)
            case .snapshot(let id): ObjectName(id)
            case .blob(_, _, nil), .repository: nil
            }
        }
    }

    private static func writeOrder(_ lhs: ObjectName, _ rhs: ObjectName) -> Bool {
        let order: [ObjectKind] = [.keys, .data, .index, .snapshots]
        let left = order.firstIndex(of: lhs.kind) ?? 0
        let right = order.firstIndex(of: rhs.kind) ?? 0
        return (left, lhs.name) < (right, rhs.name)
    }
}
