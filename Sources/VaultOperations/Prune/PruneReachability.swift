import VaultCodecs
import VaultRepository

/// Marks every blob the snapshots reach: their tree blobs and the data
/// blobs those trees name, walking each distinct tree once.
///
/// A blob counts as available when a pack that is present with the size
/// the index records holds it. Anything unavailable or unreadable is
/// recorded as damage, with the snapshots it affects; a tree that cannot be
/// read leaves its subtrees unknown, so then no data can be proved unused.
struct PruneReachability {
    /// Every reachable blob.
    private(set) var used: Set<BlobKey> = []
    /// What is lost.
    private(set) var damage = PrunePlan.Damage()

    private let repository: Repository
    private let treeCopies: [Digest256: [BlobLocation]]
    private let availableData: Set<Digest256>
    private let lock: PruneLockScope.HeldLock?

    /// Prepares a walk.
    ///
    /// - Parameters:
    ///   - packs: The pack records of the index in effect.
    ///   - isPresent: Whether a pack record's pack is in the storage with its recorded size.
    init(repository: Repository, packs: [IndexFile.Pack], isPresent: (IndexFile.Pack) -> Bool, lock: PruneLockScope.HeldLock?) {
        self.repository = repository
        self.lock = lock
        var treeCopies: [Digest256: [BlobLocation]] = [:]
        var availableData: Set<Digest256> = []
        for pack in packs where isPresent(pack) {
            for blob in pack.blobs {
                switch blob.type {
                case .data:
                    availableData.insert(blob.id)
                case .tree:
                    treeCopies[blob.id, default: []].append(
                        BlobLocation(pack: pack.id, type: .tree, offset: blob.offset, length: blob.length, rawLength: blob.rawLength)
                    )
                }
            }
        }
        self.treeCopies = treeCopies
        self.availableData = availableData
    }

    /// Walks every snapshot, each distinct tree once (``SnapshotTreeWalker``,
    /// the walk verify and `stats` use too).
    ///
    /// - Parameter snapshots: The snapshot IDs; one that cannot be loaded is damage.
    mutating func mark(_ snapshots: [SnapshotID]) async throws(RepositoryError) {
        var walker = SnapshotTreeWalker()
        var visitor = Visitor(repository: repository, treeCopies: treeCopies, availableData: availableData, lock: lock)
        // The marks are lent to the visitor for the walk and taken back after it.
        swap(&visitor.used, &used)
        swap(&visitor.damage, &damage)
        defer {
            swap(&visitor.used, &used)
            swap(&visitor.damage, &damage)
        }
        for id in snapshots.sorted() {
            let manifest: SnapshotManifest
            do {
                manifest = try await repository.loadSnapshot(id)
            } catch where error.code == .damaged || error.code == .storage {
                visitor.damage.unreadableTrees = true
                visitor.damage.affectedSnapshots.insert(id)
                continue
            }
            if try await walker.walk(root: manifest.tree, visitor: &visitor) {
                visitor.damage.affectedSnapshots.insert(id)
            }
        }
    }

    /// Prune's side of the walk: marks each tree and chunk as used, reads
    /// trees only from packs that are present, and records what is lost.
    private struct Visitor: SnapshotTreeVisitor {
        let repository: Repository
        let treeCopies: [Digest256: [BlobLocation]]
        let availableData: Set<Digest256>
        let lock: PruneLockScope.HeldLock?
        var used: Set<BlobKey> = []
        var damage = PrunePlan.Damage()

        mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree? {
            used.insert(BlobKey(.tree, id))
            try await lock?.checkStillHeld()
            guard let tree = await load(id) else {
                damage.lostBlobs.insert(BlobKey(.tree, id))
                damage.unreadableTrees = true
                return nil
            }
            return tree
        }

        mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool {
            guard node.type == .file else { return false }
            var isLost = false
            for chunk in node.content {
                used.insert(BlobKey(.data, chunk))
                if !availableData.contains(chunk) {
                    damage.lostBlobs.insert(BlobKey(.data, chunk))
                    isLost = true
                }
            }
            return isLost
        }

        mutating func treeContainsItself(_ id: Digest256) {
            damage.unreadableTrees = true
        }

        /// The tree from the first of its copies that reads and decodes.
        private func load(_ id: Digest256) async -> Tree? {
            for location in treeCopies[id] ?? [] {
                guard let bytes = try? await repository.loadBlob(id, at: location),
                      let tree = try? Tree(decoding: bytes, what: "tree \(id.shortHex)")
                else { continue }
                return tree
            }
            return nil
        }
    }
}
