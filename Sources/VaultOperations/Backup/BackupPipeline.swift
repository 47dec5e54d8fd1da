import VaultCodecs
import VaultRepository

/// What the tasks of a backup's pipeline hand back to it.
enum PipelineEvent: Sendable {
    /// A blob was compressed and sealed.
    case encoded(EncodedBlob)
    /// A pack was stored, or storing it failed.
    case stored(Result<StoredPack, any Error>)
}

/// The pipeline's child tasks: blobs being encoded and packs being stored.
typealias PipelineGroup = BoundedConcurrency.Group<PipelineEvent>

/// The writing side of a backup: new blobs are compressed and sealed in
/// child tasks on every core, and finished packs are stored by further
/// child tasks while reading goes on.
///
/// The pipeline runs on the backup's one task, which alone owns the
/// ``RepositoryWriter``, so no lock guards the index. At most
/// ``maximumInFlight`` blobs wait to be encoded (``submit(_:id:type:group:)``
/// waits for room first, storing what is done meanwhile); packs that fill
/// are stored at once. Memory stays bounded whatever the size of the files.
final class BackupPipeline {
    let repository: Repository
    private(set) var writer: RepositoryWriter
    private let encoders: BlobEncoderPool
    /// The most blobs and packs in flight before a new blob waits.
    let maximumInFlight: Int

    init(repository: Repository, index: ChunkIndex) {
        self.repository = repository
        self.writer = RepositoryWriter(repository: repository, index: index)
        self.encoders = BlobEncoderPool(cipher: repository.cipher, compression: repository.config.compression)
        self.maximumInFlight = max(2, 2 * ProcessorCount.count)
    }

    /// Runs `body` with the pipeline's task group, then ``finish(group:)``.
    /// When the user interrupts, what was read is still stored and indexed
    /// (the next backup reuses it) before the interruption is rethrown.
    ///
    /// - Parameter body: Walks what is to be archived, feeding the
    ///   pipeline; returns the root tree's ID.
    /// - Returns: The root tree's ID.
    func run(_ body: (inout PipelineGroup) async throws -> Digest256) async throws -> Digest256 {
        try await BoundedConcurrency.withGroup(of: PipelineEvent.self, limit: maximumInFlight) { (group: inout PipelineGroup) async throws -> Digest256 in
            do {
                let root = try await body(&group)
                try await finish(group: &group)
                return root
            } catch let error as OperationError where error.code == .interrupted {
                // Keep what was read: store and index it.
                try await finish(group: &group)
                throw error
            }
        }
    }

    /// Whether the repository has, or the pipeline is adding, a blob.
    func contains(_ key: BlobKey) -> Bool {
        writer.contains(key)
    }

    /// Claims a blob for this backup.
    ///
    /// - Returns: `true` when the blob is new and the caller must
    ///   ``submit(_:id:type:group:)`` it; `false` when the repository has it.
    func reserve(_ key: BlobKey) -> Bool {
        writer.reserve(key)
    }

    /// Adds a tree blob, unless the repository has it.
    ///
    /// - Returns: The tree's ID.
    func add(_ tree: Tree, group: inout PipelineGroup) async throws -> Digest256 {
        let plaintext = tree.encoded()
        let id = repository.identifier.id(of: plaintext)
        if writer.reserve(.tree(id)) {
            try await submit(plaintext, id: id, type: .tree, group: &group)
        }
        return id
    }

    /// Sends a new blob (reserved with ``reserve(_:)``) to be encoded,
    /// waiting first while too much is in flight.
    func submit(_ plaintext: [UInt8], id: Digest256, type: BlobType, group: inout PipelineGroup) async throws {
        while let event = await group.nextWhileFull() {
            try await handle(event, group: &group)
        }
        let encoders = self.encoders
        group.start {
            .encoded(plaintext.withUnsafeBytes { encoders.encode($0, id: id, type: type) })
        }
    }

    private func handle(_ event: PipelineEvent, group: inout PipelineGroup) async throws {
        switch event {
        case .encoded(let blob):
            if let pack = writer.append(blob) {
                startStoring(pack, group: &group)
            }
        case .stored(let result):
            writer.recordStored(try result.get())
            if writer.isIndexDue {
                try await writer.writeIndex()
            }
        }
    }

    private func startStoring(_ pack: FinishedPack, group: inout PipelineGroup) {
        let repository = self.repository
        group.start {
            do {
                try await repository.savePack(pack)
                return .stored(.success(StoredPack(pack)))
            } catch {
                return .stored(.failure(error))
            }
        }
    }

    /// Waits for everything in flight, stores the open packs, and writes
    /// the index file for every stored pack. After this, every blob the
    /// pipeline added is in the repository and its index.
    func finish(group: inout PipelineGroup) async throws {
        while let event = await group.next() {
            try await handle(event, group: &group)
        }
        for pack in writer.finishOpenPacks() {
            startStoring(pack, group: &group)
        }
        while let event = await group.next() {
            try await handle(event, group: &group)
        }
        try await writer.writeIndex()
    }

    /// A tree of the repository or of this backup, or `nil` when it cannot
    /// be read (a parent tree that cannot be read only costs reading the
    /// files again).
    func loadTree(_ id: Digest256) async -> Tree? {
        try? await repository.loadTree(id, index: writer.index)
    }
}
