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
    /// Per tree: whether something below it is lost; `nil` while it is being walked.
    private var visited: [Digest256: Bool?] = [:]

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

    /// Walks every snapshot.
    ///
    /// - Parameter snapshots: The snapshot IDs; one that cannot be loaded is damage.
    mutating func mark(_ snapshots: [SnapshotID]) async throws(RepositoryError) {
        for id in snapshots.sorted() {
            let manifest: SnapshotManifest
            do {
                manifest = try await repository.loadSnapshot(id)
            } catch where error.code == .damaged || error.code == .storage {
                damage.unreadableTrees = true
                damage.affectedSnapshots.insert(id)
                continue
            }
            if try await visit(manifest.tree) {
                damage.affectedSnapshots.insert(id)
            }
        }
    }

    /// Walks a tree unless it was walked before.
    ///
    /// - Returns: Whether something below it (or the tree itself) is lost.
    private mutating func visit(_ id: Digest256) async throws(RepositoryError) -> Bool {
        if let state = visited[id] {
            // `nil` inside: the tree contains itself, which only a forged repository can do.
            guard let isLost = state else {
                damage.unreadableTrees = true
                return true
            }
            return isLost
        }
        visited[id] = .some(nil)
        used.insert(BlobKey(.tree, id))
        try await lock?.checkStillHeld()
        guard let tree = await load(id) else {
            damage.lostBlobs.insert(BlobKey(.tree, id))
            damage.unreadableTrees = true
            visited[id] = true
            return true
        }
        var isLost = false
        for node in tree.nodes {
            switch node.type {
            case .file:
                for chunk in node.content {
                    used.insert(BlobKey(.data, chunk))
                    if !availableData.contains(chunk) {
                        damage.lostBlobs.insert(BlobKey(.data, chunk))
                        isLost = true
                    }
                }
            case .directory:
                guard let subtree = node.subtree else {
                    isLost = true
                    continue
                }
                if try await visit(subtree) { isLost = true }
            default:
                break
            }
        }
        visited[id] = isLost
        return isLost
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
