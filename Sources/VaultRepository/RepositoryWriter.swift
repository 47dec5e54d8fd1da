import VaultCodecs

/// Adds blobs to a repository: deduplicates them against the index,
/// encodes them, packs them, stores full packs, and writes index files for
/// the stored packs.
///
/// Data and tree blobs go to separate packs, so reading trees reads little
/// data. Call ``flush()`` before writing a snapshot that refers to the
/// blobs: it stores the open packs and an index file naming them, keeping
/// the write order packs → index → snapshot.
package struct RepositoryWriter: ~Copyable {
    /// The repository written to.
    package let repository: Repository
    /// Every blob known: the loaded index plus the blobs added.
    package private(set) var index: ChunkIndex
    private var encoder: BlobEncoder
    private var dataPack: PackWriter
    private var treePack: PackWriter
    /// Blobs in the open packs (or being encoded), not yet in ``index``.
    private var pending: Set<BlobKey> = []
    private var unindexedPacks: [IndexFile.Pack] = []
    private var unindexedBytes: Int64 = 0

    /// Bytes of stored packs after which an index file is written even
    /// before ``flush()``, so an interrupted backup loses little.
    package static let indexEveryBytes: Int64 = 256 * 1024 * 1024

    /// What has been added so far.
    package private(set) var blobsAdded = 0
    /// Stored bytes added so far (packs, headers included).
    package private(set) var bytesAdded: Int64 = 0

    /// Creates a writer that deduplicates against `index`.
    package init(repository: Repository, index: ChunkIndex) {
        self.repository = repository
        self.index = index
        self.encoder = BlobEncoder(cipher: repository.cipher, compression: repository.config.compression)
        let reservation = Self.packReservation(for: repository)
        self.dataPack = PackWriter(cipher: repository.cipher, reservingCapacity: reservation)
        self.treePack = PackWriter(cipher: repository.cipher, reservingCapacity: reservation)
    }

    /// The buffer each open pack reserves when its first blob arrives: the
    /// pack size, the largest stored data blob (the one that carries a pack
    /// past the pack size: maximum chunk size, codec byte and sealing
    /// overhead), and room for the header (``PackWriter/reservation(packSize:largestBlob:cipher:)``).
    /// A buffer is reserved once per pack, not grown by doubling, and is
    /// handed to storage with the finished pack.
    package static func packReservation(for repository: Repository) -> Int {
        PackWriter.reservation(
            packSize: repository.config.packSize,
            largestBlob: largestStoredBlob(plaintext: repository.config.chunker.maxSize, cipher: repository.cipher),
            cipher: repository.cipher)
    }

    /// The most stored bytes a blob of `plaintext` bytes takes: the codec
    /// byte, the plaintext itself (compression is kept only when it is
    /// smaller), and the sealing overhead.
    static func largestStoredBlob(plaintext: Int, cipher: ObjectCipher) -> Int {
        1 + plaintext + cipher.overhead
    }

    /// The capacities of the open packs' buffers (data, tree): 0 for a pack
    /// with no blob yet. For tests of the memory bound.
    package var openPackCapacities: (data: Int, tree: Int) { (dataPack.capacity, treePack.capacity) }

    /// Whether the repository has the blob, or it is in an open pack.
    ///
    /// - Parameter key: The blob's type and ID: a tree blob never stands in
    ///   for a data blob with the same ID, nor the other way round.
    package func contains(_ key: BlobKey) -> Bool {
        index.contains(key) || pending.contains(key)
    }

    /// Adds a blob to an open pack unless the repository has it already.
    ///
    /// This does the CPU work (hash, compress, seal) and never touches
    /// storage; call ``storeFullPacks()`` when ``hasFullPack`` turns true.
    ///
    /// - Returns: The blob's ID, and whether it was new.
    @discardableResult
    package mutating func stage(_ plaintext: UnsafeRawBufferPointer, type: BlobType) -> (id: Digest256, isNew: Bool) {
        let id = repository.identifier.id(of: plaintext)
        let key = BlobKey(type, id)
        guard !contains(key) else { return (id, false) }
        pending.insert(key)
        switch type {
        case .data: Self.append(plaintext, id: id, type: type, to: &dataPack, using: &encoder)
        case .tree: Self.append(plaintext, id: id, type: type, to: &treePack, using: &encoder)
        }
        blobsAdded += 1
        return (id, true)
    }

    private static func append(
        _ plaintext: UnsafeRawBufferPointer, id: Digest256, type: BlobType, to pack: inout PackWriter, using encoder: inout BlobEncoder
    ) {
        let maximumLength = largestStoredBlob(plaintext: plaintext.count, cipher: pack.cipher)
        pack.add(type: type, id: id, rawLength: plaintext.count, maximumLength: maximumLength) { encoder.encode(plaintext, appendingTo: &$0) }
    }

    // MARK: Pipelined use

    /// Marks a blob as on its way (being encoded elsewhere), so
    /// ``contains(_:)`` finds it and it is not encoded twice.
    ///
    /// - Parameter key: The blob's type and ID.
    /// - Returns: Whether the blob was new; `false` if it is known or on its way.
    package mutating func reserve(_ key: BlobKey) -> Bool {
        guard !index.contains(key) else { return false }
        return pending.insert(key).inserted
    }

    /// Appends a blob encoded elsewhere (see ``reserve(_:)``) to its open pack.
    ///
    /// - Returns: The pack, finished, when it reached the pack size: store it
    ///   with ``Repository/savePack(_:)``, then pass it to ``recordStored(_:)``.
    package mutating func append(_ blob: EncodedBlob) -> FinishedPack? {
        blobsAdded += 1
        let packSize = repository.config.packSize
        switch blob.type {
        case .data:
            blob.stored.withUnsafeBytes { dataPack.add(type: .data, id: blob.id, rawLength: blob.rawLength, stored: $0) }
            return dataPack.size >= packSize ? dataPack.finish() : nil
        case .tree:
            blob.stored.withUnsafeBytes { treePack.add(type: .tree, id: blob.id, rawLength: blob.rawLength, stored: $0) }
            return treePack.size >= packSize ? treePack.finish() : nil
        }
    }

    /// Finishes the open packs, full or not.
    ///
    /// - Returns: The packs, to store and record like those ``append(_:)`` returns.
    package mutating func finishOpenPacks() -> [FinishedPack] {
        var packs: [FinishedPack] = []
        if !dataPack.isEmpty { packs.append(dataPack.finish()) }
        if !treePack.isEmpty { packs.append(treePack.finish()) }
        return packs
    }

    /// Records that a pack was stored: its blobs join the index, and the
    /// pack is listed in the next index file.
    ///
    /// - Parameter pack: The stored pack; its bytes are not needed any more
    ///   and may be empty.
    package mutating func recordStored(_ pack: StoredPack) {
        for blob in pack.blobs {
            index.insert(blob.key, blob.location)
            pending.remove(blob.key)
        }
        unindexedPacks.append(IndexFile.Pack(
            id: pack.id, size: pack.size,
            blobs: pack.blobs.map {
                IndexFile.Blob(id: $0.key.id, type: $0.location.type, offset: $0.location.offset, length: $0.location.length, rawLength: $0.location.rawLength)
            }
        ))
        unindexedBytes += pack.size
        bytesAdded += pack.size
    }

    /// Whether enough packs were stored since the last index file that one should be written now.
    package var isIndexDue: Bool { unindexedBytes >= Self.indexEveryBytes }

    /// Writes an index file for every stored pack not yet in one.
    package mutating func writeIndex() async throws(RepositoryError) {
        guard !unindexedPacks.isEmpty else { return }
        _ = try await repository.saveIndex(IndexFile(packs: unindexedPacks))
        unindexedPacks = []
        unindexedBytes = 0
    }

    // MARK: Inline use

    /// Whether an open pack has reached the pack size.
    package var hasFullPack: Bool {
        dataPack.size >= repository.config.packSize || treePack.size >= repository.config.packSize
    }

    /// Stores the open packs that have reached the pack size.
    package mutating func storeFullPacks() async throws(RepositoryError) {
        if dataPack.size >= repository.config.packSize { try await store(dataPack.finish()) }
        if treePack.size >= repository.config.packSize { try await store(treePack.finish()) }
    }

    /// Adds a blob unless the repository has it already, storing a pack when one fills.
    ///
    /// - Returns: The blob's ID, and whether it was new.
    @discardableResult
    package mutating func add(_ plaintext: [UInt8], type: BlobType) async throws(RepositoryError) -> (id: Digest256, isNew: Bool) {
        let result = plaintext.withUnsafeBytes { stage($0, type: type) }
        if hasFullPack {
            try await storeFullPacks()
        }
        return result
    }

    /// Adds a tree blob.
    ///
    /// - Returns: The tree's ID.
    package mutating func add(_ tree: Tree) async throws(RepositoryError) -> Digest256 {
        try await add(tree.encoded(), type: .tree).id
    }

    private mutating func store(_ pack: FinishedPack) async throws(RepositoryError) {
        try await repository.savePack(pack)
        recordStored(StoredPack(pack))
        if isIndexDue {
            try await writeIndex()
        }
    }

    /// Stores the open packs and an index file for every pack not yet indexed.
    package mutating func flush() async throws(RepositoryError) {
        for pack in finishOpenPacks() {
            try await store(pack)
        }
        try await writeIndex()
    }
}
