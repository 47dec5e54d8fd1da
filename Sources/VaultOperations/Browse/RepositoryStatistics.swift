import VaultCodecs
import VaultRepository

/// What `vault stats` counts: the size of snapshots as restoring them
/// would write them, the unique data they reference, and the repository's
/// totals.
package struct RepositoryStatistics {
    /// The size of what restoring snapshots writes.
    package struct RestoreSize: Sendable, Hashable {
        /// How many snapshots were counted.
        package var snapshots = 0
        /// File entries; each name of a hard-linked file counts.
        package var files = 0
        /// Directories, including those on the way to the backed-up paths.
        package var directories = 0
        /// Symlinks, FIFOs, sockets and devices.
        package var others = 0
        /// The files' sizes added up; a hard-linked file (`links > 1`)
        /// counts once per `(device, inode)` in each snapshot, as restoring
        /// writes it once and links the other names.
        package var totalSize: Int64 = 0

        /// Nothing counted.
        package init() {}

        mutating func add(_ other: RestoreSize) throws(RepositoryError) {
            files += other.files
            directories += other.directories
            others += other.others
            totalSize = try RepositoryStatistics.sum(totalSize, other.totalSize)
        }
    }

    /// The unique blobs snapshots reference, as stored.
    package struct RawData: Sendable, Hashable {
        /// How many snapshots were counted.
        package var snapshots = 0
        /// Distinct data blobs (file chunks).
        package var dataBlobs = 0
        /// Distinct tree blobs (directory listings).
        package var treeBlobs = 0
        /// The blobs' plaintext sizes added up (`rawLength` in the index).
        package var rawSize: Int64 = 0
        /// The blobs' stored sizes added up: compressed, and sealed in an
        /// encrypted repository (`length` in the index).
        package var storedSize: Int64 = 0
        /// Data blobs a file names that the index does not list (the
        /// repository is damaged; `vault verify` says more). They count in
        /// neither size.
        package var missingBlobs = 0

        /// Nothing counted.
        package init() {}

        /// Plaintext size over stored size (2.0: stored in half the space),
        /// or `nil` when nothing is stored.
        package var compressionRatio: Double? {
            storedSize > 0 ? Double(rawSize) / Double(storedSize) : nil
        }
    }

    /// What the repository's index holds, whichever snapshots use it.
    package struct Totals: Sendable, Hashable {
        /// Indexed pack files.
        package var packs = 0
        /// Their sizes added up (blobs, headers and trailers).
        package var packSize: Int64 = 0
        /// Distinct indexed data blobs.
        package var dataBlobs = 0
        /// Distinct indexed tree blobs.
        package var treeBlobs = 0
        /// The blobs' plaintext sizes added up.
        package var rawSize: Int64 = 0
        /// The blobs' stored sizes added up.
        package var storedSize: Int64 = 0

        /// The totals of a loaded index. Sizes the index claims are only
        /// added up, so a forged index cannot make them overflow: a total
        /// stops at `Int64.max`.
        package init(_ index: Repository.LoadedIndex) {
            packs = index.packSizes.count
            packSize = index.packSizes.values.reduce(0, Self.saturatingSum)
            for (_, location) in index.chunks {
                switch location.type {
                case .data: dataBlobs += 1
                case .tree: treeBlobs += 1
                }
                rawSize = Self.saturatingSum(rawSize, Int64(location.rawLength))
                storedSize = Self.saturatingSum(storedSize, Int64(location.length))
            }
        }

        private static func saturatingSum(_ total: Int64, _ size: Int64) -> Int64 {
            let (sum, overflow) = total.addingReportingOverflow(size)
            return overflow ? (size < 0 ? .min : .max) : sum
        }

        /// Plaintext size over stored size, or `nil` when nothing is stored.
        package var compressionRatio: Double? {
            storedSize > 0 ? Double(rawSize) / Double(storedSize) : nil
        }
    }

    /// Adds a file's size to a total; a total past `Int64.max` (8 EiB) can
    /// only come from damaged or forged trees and is an error, not a trap.
    static func sum(_ total: Int64, _ size: UInt64, in tree: Digest256) throws(RepositoryError) -> Int64 {
        guard let size = Int64(exactly: size), case let (sum, false) = total.addingReportingOverflow(size) else {
            throw RepositoryError(.damaged, "tree \(tree.shortHex) is damaged: its file sizes add up to more than 8 EiB")
        }
        return sum
    }

    /// Adds two totals, failing past `Int64.max` as ``sum(_:_:in:)`` does.
    static func sum(_ total: Int64, _ other: Int64) throws(RepositoryError) -> Int64 {
        guard case let (sum, false) = total.addingReportingOverflow(other) else {
            throw RepositoryError(.damaged, "the snapshots' file sizes add up to more than 8 EiB: some tree is damaged")
        }
        return sum
    }

    /// Where trees are read from.
    package let trees: TreeCache

    /// Creates statistics reading trees through `trees`.
    package init(trees: TreeCache) {
        self.trees = trees
    }

    /// Counts what restoring each snapshot writes, added up over the snapshots.
    ///
    /// A subtree without hard links is counted once and remembered by its
    /// tree ID, so the many unchanged subtrees of a series of snapshots cost
    /// one walk.
    ///
    /// - Parameter roots: The snapshots' root trees.
    /// - Throws: ``RepositoryError`` when a tree cannot be read.
    package func restoreSize(of roots: [Digest256]) async throws(RepositoryError) -> RestoreSize {
        var total = RestoreSize()
        var memo: [Digest256: RestoreSize] = [:]
        for root in roots {
            var hardLinks = Set<HardLink>()
            try total.add(try await count(tree: root, hardLinks: &hardLinks, memo: &memo).size)
            total.snapshots += 1
        }
        return total
    }

    private struct HardLink: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Counts a tree; remembers it when no hard-linked file is below it.
    private func count(
        tree id: Digest256, hardLinks: inout Set<HardLink>, memo: inout [Digest256: RestoreSize]
    ) async throws(RepositoryError) -> (size: RestoreSize, hasHardLinks: Bool) {
        if let known = memo[id] {
            return (known, false)
        }
        var size = RestoreSize()
        var hasHardLinks = false
        for node in try await trees.tree(id).nodes {
            switch node.type {
            case .file:
                size.files += 1
                if node.links > 1 {
                    hasHardLinks = true
                    if hardLinks.insert(HardLink(device: node.device, inode: node.inode)).inserted {
                        size.totalSize = try Self.sum(size.totalSize, node.size, in: id)
                    }
                } else {
                    size.totalSize = try Self.sum(size.totalSize, node.size, in: id)
                }
            case .directory:
                size.directories += 1
                if let subtree = node.subtree {
                    let below = try await count(tree: subtree, hardLinks: &hardLinks, memo: &memo)
                    try size.add(below.size)
                    hasHardLinks = hasHardLinks || below.hasHardLinks
                }
            case .symlink, .fifo, .socket, .characterDevice, .blockDevice:
                size.others += 1
            }
        }
        if !hasHardLinks {
            memo[id] = size
        }
        return (size, hasHardLinks)
    }

    /// Counts the distinct blobs the snapshots reference, trees included,
    /// with their sizes from the index. Each tree is read once, however
    /// many snapshots share it.
    ///
    /// - Parameter roots: The snapshots' root trees.
    /// - Throws: ``RepositoryError`` when a tree cannot be read.
    package func rawData(of roots: [Digest256]) async throws(RepositoryError) -> RawData {
        var result = RawData()
        result.snapshots = roots.count
        var walker = SnapshotTreeWalker()
        var visitor = BlobCollector(trees: trees)
        for root in roots {
            try await walker.walk(root: root, visitor: &visitor)
        }
        let visitedTrees = visitor.visitedTrees
        let dataBlobs = visitor.dataBlobs
        for id in visitedTrees {
            // loadTree found every visited tree in the index.
            guard let location = trees.index.location(of: .tree(id)) else {
                throw RepositoryError(.damaged, "tree \(id.shortHex) is missing from the index")
            }
            result.treeBlobs += 1
            result.rawSize += Int64(location.rawLength)
            result.storedSize += Int64(location.length)
        }
        for id in dataBlobs {
            guard let location = trees.index.location(of: .data(id)) else {
                result.missingBlobs += 1
                continue
            }
            result.dataBlobs += 1
            result.rawSize += Int64(location.rawLength)
            result.storedSize += Int64(location.length)
        }
        return result
    }

    /// `stats`' side of the walk over the snapshots' trees (the walk verify
    /// and prune use too): the distinct trees and chunks; a tree that cannot
    /// be read is an error.
    private struct BlobCollector: SnapshotTreeVisitor {
        let trees: TreeCache
        var visitedTrees = Set<Digest256>()
        var dataBlobs = Set<Digest256>()

        mutating func loadTree(_ id: Digest256) async throws(RepositoryError) -> Tree? {
            let tree = try await trees.repository.loadTree(id, index: trees.index)
            visitedTrees.insert(id)
            return tree
        }

        mutating func visit(_ node: TreeNode, in tree: Digest256) -> Bool {
            if node.type == .file {
                dataBlobs.formUnion(node.content)
            }
            return false
        }
    }
}
