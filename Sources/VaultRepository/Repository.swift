import VaultChunker
import VaultCodecs
import VaultStorage

/// An open repository: its storage, configuration and keys.
///
/// `Repository` reads and writes whole objects (config, keys, locks,
/// snapshots, index files, packs) and single blobs. It is immutable and
/// safe to share between tasks; building packs and indexes during a backup
/// is ``RepositoryWriter``'s job.
package struct Repository: Sendable {
    /// Where the objects live.
    package let storage: any Storage
    /// The configuration.
    package let config: RepositoryConfig
    /// The master keys, in an encrypted repository.
    package let keys: MasterKeys?
    /// Seals and opens objects and blobs.
    package let cipher: ObjectCipher
    /// Computes blob IDs.
    package let identifier: BlobIdentifier
    /// Splits file contents into chunks.
    package let chunker: FastCDC
    /// The key file the password opened, when ``open(_:password:)`` opened
    /// this repository with one (``openCopy(at:)`` reuses its keys).
    package let openedKeyFile: ObjectName?
    /// Whole tree packs kept for the next trees, on storage that prefers
    /// large reads; `nil` elsewhere.
    private let treePacks: TreePackCache?

    private init(storage: any Storage, config: RepositoryConfig, keys: MasterKeys?, openedKeyFile: ObjectName? = nil) {
        self.storage = storage
        self.config = config
        self.keys = keys
        self.openedKeyFile = openedKeyFile
        treePacks = storage.capabilities.preferredReadSize >= TreePackCache.minimumPreferredReadSize ? TreePackCache() : nil
        if let keys {
            cipher = ObjectCipher(keys: keys)
            identifier = BlobIdentifier(keys: keys)
            // Validated parameters and a 256-entry table: construction cannot fail.
            chunker = try! FastCDC(parameters: config.chunker, gear: Self.gearTable(chunkerKey: keys.chunker))
        } else {
            cipher = .plain
            identifier = .plain
            chunker = try! FastCDC(parameters: config.chunker)
        }
    }

    /// The secret gear table of an encrypted repository (docs/format.md, "Chunking").
    package static func gearTable(chunkerKey: [UInt8]) -> GearTable {
        let hmac = HMACSHA256(key: chunkerKey)
        let prefix = Array("vault-gear".utf8)
        let values = (0..<256).map { index -> UInt64 in
            // `words.0` reads bytes 0–7 big-endian; the format reads them little-endian.
            hmac.authenticate(prefix + [UInt8(index)]).words.0.byteSwapped
        }
        return try! GearTable(values: values)
    }

    // MARK: Creating and opening

    /// Creates a new repository in empty storage.
    ///
    /// - Parameters:
    ///   - storage: Empty storage.
    ///   - config: The configuration; its `isEncrypted` decides whether `password` is used.
    ///   - password: The first password, for an encrypted repository.
    ///   - kdf: scrypt parameters for the first key file.
    /// - Throws: ``RepositoryError``.
    package static func create(
        in storage: any Storage, config: RepositoryConfig, password: String?, kdf: KeyFile.ScryptParameters = .default
    ) async throws(RepositoryError) -> Repository {
        if try await storageCall({ () async throws(StorageError) in try await storage.exists(.config) }) {
            throw RepositoryError(.invalidRequest, "\(storage.location) already holds a repository")
        }
        var keys: MasterKeys?
        if config.isEncrypted {
            guard let password, !password.isEmpty else {
                throw RepositoryError(.passwordRequired, "an encrypted repository needs a password")
            }
            let masterKeys = MasterKeys.generate()
            keys = masterKeys
            let keyFile = try KeyFile(wrapping: masterKeys, password: password, kdf: kdf, host: HostIdentity.hostName, user: HostIdentity.userName)
            try await storeNamedBySHA256(keyFile.encoded(), kind: .keys, in: storage)
        }
        let repository = Repository(storage: storage, config: config, keys: keys)
        let configBytes = config.encoded(cipher: repository.cipher)
        try await storageCall { () async throws(StorageError) in try await storage.put(configBytes, as: .config) }
        return repository
    }

    /// Reads the unsealed part of a repository's configuration, without a password.
    ///
    /// - Throws: ``RepositoryError``: `.notARepository`, `.unsupportedVersion`, `.damaged`.
    package static func header(of storage: any Storage) async throws(RepositoryError) -> RepositoryConfig.Header {
        try RepositoryConfig.header(of: try await configBytes(of: storage))
    }

    /// Opens an existing repository.
    ///
    /// - Parameters:
    ///   - storage: Where the repository is.
    ///   - password: Asked for only when the repository is encrypted.
    /// - Throws: ``RepositoryError``: `.notARepository`, `.unsupportedVersion`,
    ///   `.wrongPassword`, `.damaged`, `.storage`.
    package static func open(
        _ storage: any Storage, password: () throws(RepositoryError) -> String
    ) async throws(RepositoryError) -> Repository {
        let bytes = try await configBytes(of: storage)
        let header = try RepositoryConfig.header(of: bytes)
        // Entries not named by a SHA-256 (a stray `keys/readme`) are not key files: ignored.
        let keyFiles = try await storageCall { () async throws(StorageError) in
            try await storage.listAll(.keys)
        }.filter { Digest256(hex: $0.name.name) != nil }
        guard header.isEncrypted else {
            guard keyFiles.isEmpty else {
                throw RepositoryError(.damaged, "config says the repository is not encrypted, but it has key files: refusing to write plaintext")
            }
            let config = try RepositoryConfig(decoding: bytes, cipher: .plain)
            return Repository(storage: storage, config: config, keys: nil)
        }
        guard !keyFiles.isEmpty else {
            throw RepositoryError(.damaged, "the repository is encrypted but has no key files")
        }
        let password = try password()
        let readable = keyFiles.filter { $0.size <= KeyFile.maximumSize }  // memory on crafted input
        let (keys, name) = try await openKeys(in: storage, names: readable.map(\.name), password: password)
        let repository = Repository(
            storage: storage, config: try RepositoryConfig(decoding: bytes, cipher: ObjectCipher(keys: keys)), keys: keys, openedKeyFile: name
        )
        return repository
    }

    /// Opens a copy of this repository (a mirror) at `storage` with this
    /// repository's master keys, without deriving a key from the password
    /// again (scrypt): only when the copy holds the very key file the
    /// password opened here (its name, and bytes that hash to that name:
    /// the same bytes, which the same password opens to the same keys)
    /// and the copy's `config` opens with those keys.
    ///
    /// - Returns: The copy, or `nil` when that cannot be shown (a plain
    ///   repository, the key file missing, damaged or replaced in the copy,
    ///   a config sealed with other keys): then open it with
    ///   ``open(_:password:)``, which reports what is wrong.
    package func openCopy(at copy: any Storage) async -> Repository? {
        guard let keys, let name = openedKeyFile,
              let keyBytes = try? await copy.get(name), Int64(keyBytes.count) <= KeyFile.maximumSize,
              SHA256Hasher.hash(keyBytes).hex == name.name,
              let configBytes = try? await copy.get(.config),
              let header = try? RepositoryConfig.header(of: configBytes), header.isEncrypted,
              let config = try? RepositoryConfig(decoding: configBytes, cipher: ObjectCipher(keys: keys)) else { return nil }
        return Repository(storage: copy, config: config, keys: keys, openedKeyFile: name)
    }

    private static func configBytes(of storage: any Storage) async throws(RepositoryError) -> [UInt8] {
        do {
            return try await storage.get(.config)
        } catch where error.code == .notFound || error.code == .locationUnavailable {
            throw RepositoryError(.notARepository, "there is no repository at \(storage.location)")
        } catch {
            throw RepositoryError(error)
        }
    }

    /// Tries `password` on each key file; returns the first that opens.
    private static func openKeys(
        in storage: any Storage, names: [ObjectName], password: String
    ) async throws(RepositoryError) -> (keys: MasterKeys, name: ObjectName) {
        for name in names.sorted() {
            let bytes: [UInt8]
            do {
                bytes = try await storage.get(name)
            } catch {
                continue
            }
            guard SHA256Hasher.hash(bytes).hex == name.name, let keyFile = try? KeyFile(decoding: bytes, what: "\(name)") else {
                continue
            }
            if let keys = try? keyFile.open(password: password) {
                return (keys, name)
            }
        }
        throw RepositoryError(.wrongPassword, "wrong password or no key found")
    }

    // MARK: Objects

    /// Stores bytes as an object named by their SHA-256.
    @discardableResult
    static func storeNamedBySHA256(_ bytes: [UInt8], kind: ObjectKind, in storage: any Storage) async throws(RepositoryError) -> Digest256 {
        let id = SHA256Hasher.hash(bytes)
        let name = try! ObjectName(kind: kind, name: id.hex)
        try await storeContentAddressed(bytes, as: name, id: id, in: storage)
        return id
    }

    /// Stores an object named by the SHA-256 of its bytes.
    ///
    /// When an object of that name is there already, it normally holds the
    /// same bytes (content addressing makes the put a success). But it may
    /// be a damaged copy (a flipped bit on disk; a plain repository writes
    /// the very same pack again when a backup stores the same data), and
    /// then it is replaced: the bytes in hand are the good ones.
    static func storeContentAddressed(_ bytes: [UInt8], as name: ObjectName, id: Digest256, in storage: any Storage) async throws(RepositoryError) {
        do {
            try await storage.put(bytes, as: name)
            return
        } catch where error.code == .alreadyExists {
            // Checked below.
        } catch {
            throw RepositoryError(error)
        }
        let existing: [UInt8]
        do {
            existing = try await storage.get(name)
        } catch where error.code == .notFound {
            existing = []
        } catch {
            throw RepositoryError(error)
        }
        guard SHA256Hasher.hash(existing) != id else { return }
        do {
            try await storage.delete(name)
        } catch where error.code == .notFound {
            // Gone already: nothing to replace.
        } catch {
            throw RepositoryError(error)
        }
        do {
            try await storage.put(bytes, as: name)
        } catch where error.code == .alreadyExists {
            // Another writer stored it in between; readers check it by its name.
        } catch {
            throw RepositoryError(error)
        }
    }

    /// Seals `plaintext` and stores it as an object of `kind` named by the SHA-256 of the sealed bytes.
    ///
    /// - Returns: The object's ID.
    @discardableResult
    package func saveObject(_ plaintext: [UInt8], kind: ObjectKind) async throws(RepositoryError) -> Digest256 {
        try await Self.storeNamedBySHA256(cipher.seal(plaintext), kind: kind, in: storage)
    }

    /// Loads an object named by its SHA-256, checks the name, and opens it.
    ///
    /// - Throws: ``RepositoryError``: `.damaged` when the bytes do not match the
    ///   name or do not open; `.storage` when the object cannot be read.
    package func loadObject(_ name: ObjectName) async throws(RepositoryError) -> [UInt8] {
        let bytes = try await Self.storageCall { () async throws(StorageError) in try await storage.get(name) }
        guard SHA256Hasher.hash(bytes).hex == name.name else {
            throw RepositoryError.damaged(name, "its contents do not match its name")
        }
        return try cipher.open(bytes, what: "\(name)")
    }

    /// Names of every object of a kind, sorted.
    package func list(_ kind: ObjectKind) async throws(RepositoryError) -> [ObjectInfo] {
        try await Self.storageCall { () async throws(StorageError) in try await storage.listAll(kind) }.sorted { $0.name < $1.name }
    }

    static func storageCall<T>(_ body: () async throws(StorageError) -> T) async throws(RepositoryError) -> T {
        do {
            return try await body()
        } catch {
            throw RepositoryError(error)
        }
    }

    // MARK: Keys

    /// Adds a key file for another password.
    ///
    /// - Returns: The new key file's ID.
    package func addKey(password: String, kdf: KeyFile.ScryptParameters = .default) async throws(RepositoryError) -> KeyID {
        guard let keys else {
            throw RepositoryError(.invalidRequest, "the repository is not encrypted: it has no keys")
        }
        guard !password.isEmpty else {
            throw RepositoryError(.passwordRequired, "the new password is empty")
        }
        let keyFile = try KeyFile(wrapping: keys, password: password, kdf: kdf, host: HostIdentity.hostName, user: HostIdentity.userName)
        return KeyID(try await Self.storeNamedBySHA256(keyFile.encoded(), kind: .keys, in: storage))
    }

    /// The repository's key files; entries of `keys/` whose name is not a
    /// key ID (64 hex digits) are not key files and are left out.
    package func keyFiles() async throws(RepositoryError) -> [(id: KeyID, file: KeyFile)] {
        var result: [(KeyID, KeyFile)] = []
        for info in try await list(.keys) {
            guard let id = KeyID(hex: info.name.name) else { continue }  // not a key file (a stray `keys/readme`)
            guard info.size <= KeyFile.maximumSize else {
                throw RepositoryError.damaged(info.name, "it has \(info.size) bytes, more than a key file's \(KeyFile.maximumSize)")
            }
            let bytes = try await Self.storageCall { () async throws(StorageError) in try await storage.get(info.name) }
            result.append((id, try KeyFile(decoding: bytes, what: "\(info.name)")))
        }
        return result
    }

    /// The key file that `password` opens.
    package func keyFileID(openedBy password: String) async throws(RepositoryError) -> KeyID {
        let names = try await list(.keys).filter { $0.size <= KeyFile.maximumSize }.map(\.name).filter { KeyID(hex: $0.name) != nil }
        let opened = try await Self.openKeys(in: storage, names: names, password: password).name
        guard let id = KeyID(hex: opened.name) else {
            throw RepositoryError(.wrongPassword, "wrong password or no key found")
        }
        return id
    }

    /// Removes a key file; the last one is never removed.
    ///
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` for the last
    ///   key or an unknown ID.
    package func removeKey(_ id: KeyID) async throws(RepositoryError) {
        let names = try await list(.keys).map(\.name).filter { KeyID(hex: $0.name) != nil }
        guard let name = names.first(where: { $0.name == id.hex }) else {
            throw RepositoryError(.invalidRequest, "no key \(id.hex)")
        }
        guard names.count > 1 else {
            throw RepositoryError(.invalidRequest, "refusing to remove the last key: the repository would be unreadable")
        }
        try await Self.storageCall { () async throws(StorageError) in try await storage.delete(name) }
    }

    // MARK: Snapshots

    /// Stores a snapshot manifest.
    ///
    /// - Returns: The snapshot's ID.
    package func saveSnapshot(_ manifest: SnapshotManifest) async throws(RepositoryError) -> SnapshotID {
        SnapshotID(try await saveObject(manifest.encoded(), kind: .snapshots))
    }

    /// Loads one snapshot manifest.
    package func loadSnapshot(_ id: SnapshotID) async throws(RepositoryError) -> SnapshotManifest {
        let name = ObjectName(id)
        return try SnapshotManifest(decoding: try await loadObject(name), what: "snapshot \(id.shortHex)")
    }

    /// Every snapshot: the readable ones and the damaged ones.
    package struct SnapshotCatalog: Sendable {
        /// The snapshots that load, oldest first.
        package var readable: [(id: SnapshotID, manifest: SnapshotManifest)]
        /// Snapshots whose file is damaged (it does not match its name, does
        /// not open, or does not decode), by ID, and why.
        package var damaged: [(id: SnapshotID, error: RepositoryError)]
    }

    /// Loads every snapshot manifest; a damaged snapshot file is listed as
    /// damaged and stops nothing.
    ///
    /// - Throws: ``RepositoryError`` only when a snapshot cannot be listed
    ///   or read from the storage.
    package func snapshotCatalog() async throws(RepositoryError) -> SnapshotCatalog {
        var readable: [(id: SnapshotID, manifest: SnapshotManifest)] = []
        var damaged: [(id: SnapshotID, error: RepositoryError)] = []
        for info in try await list(.snapshots) {
            guard let id = SnapshotID(hex: info.name.name) else { continue }
            do {
                readable.append((id, try await loadSnapshot(id)))
            } catch where error.code == .damaged {
                damaged.append((id, error))
            }
        }
        readable.sort { ($0.manifest.time, $0.id) < ($1.manifest.time, $1.id) }
        return SnapshotCatalog(readable: readable, damaged: damaged)
    }

    /// Loads every readable snapshot manifest, oldest first; damaged
    /// snapshot files are left out (``snapshotCatalog()`` lists them).
    package func snapshots() async throws(RepositoryError) -> [(id: SnapshotID, manifest: SnapshotManifest)] {
        try await snapshotCatalog().readable
    }

    // MARK: Index

    /// The loaded index: every indexed blob, and which index files it came from.
    package struct LoadedIndex: Sendable {
        /// Blob locations, by blob key (type and ID).
        package var chunks: ChunkIndex
        /// Pack sizes, from the index files.
        package var packSizes: [PackID: Int64]
        /// The index files in effect (not superseded).
        package var files: [IndexFileID]
        /// Index files that are damaged and were left out, and why. The
        /// packs only they listed are read from their headers instead
        /// (``packsFromHeaders``) until `vault repair index` rebuilds the
        /// index.
        package var damagedFiles: [(id: IndexFileID, error: RepositoryError)] = []
        /// The stored packs compared with the index, when the index was
        /// loaded with `checkingPacks`: the locations of blobs in its
        /// ``PackInventory/missing`` packs were left out, so a copy of a
        /// blob in another pack is found there.
        package var inventory: PackInventory?
        /// Unindexed packs whose headers were read to stand in for
        /// ``damagedFiles`` (empty when no index file is damaged).
        package var packsFromHeaders: [PackID] = []
    }

    /// Loads and merges every index file that no other supersedes.
    ///
    /// A damaged index file does not stop the load: it is left out and
    /// listed in ``LoadedIndex/damagedFiles``, and the headers of the packs
    /// no readable index file names are read in its place.
    ///
    /// - Parameter checkingPacks: Whether to list `data/` once and leave
    ///   out the locations of blobs in packs that are gone, so that every
    ///   location in the index is in a stored pack (backup and restore do).
    /// - Throws: ``RepositoryError`` when the index files (or `data/`)
    ///   cannot be listed or read.
    package func loadIndex(checkingPacks: Bool = false) async throws(RepositoryError) -> LoadedIndex {
        var decoded: [(IndexFileID, IndexFile)] = []
        var damaged: [(id: IndexFileID, error: RepositoryError)] = []
        var superseded: Set<IndexFileID> = []
        for info in try await list(.index) {
            guard let id = IndexFileID(hex: info.name.name) else { continue }
            let file: IndexFile
            do {
                file = try IndexFile(decoding: try await loadObject(info.name), what: "\(info.name)")
            } catch where error.code == .damaged {
                damaged.append((id, error))
                continue
            }
            superseded.formUnion(file.supersedes)
            decoded.append((id, file))
        }
        var inventory: PackInventory?
        let damagedInEffect = damaged.filter { !superseded.contains($0.id) }
        // A damaged index file leaves its packs unindexed: list the packs
        // then, so their headers can stand in for it (below).
        if checkingPacks || !damagedInEffect.isEmpty {
            let indexed = decoded.lazy.filter { !superseded.contains($0.0) }.flatMap { $0.1.packs.lazy.map(\.id) }
            inventory = try await packInventory(indexed: indexed)
        }
        let missingPacks = inventory?.missing ?? []
        let blobCount = decoded.reduce(0) { total, entry in total + entry.1.packs.reduce(0) { $0 + $1.blobs.count } }
        var chunks = ChunkIndex(expectedCount: blobCount)
        var packSizes: [PackID: Int64] = [:]
        var files: [IndexFileID] = []
        for (id, file) in decoded where !superseded.contains(id) {
            files.append(id)
            for pack in file.packs where !missingPacks.contains(pack.id) {
                packSizes[pack.id] = pack.size
                chunks.insert(contentsOf: pack.blobs.lazy.map { blob in
                    (BlobKey(blob.type, blob.id), BlobLocation(pack: pack.id, type: blob.type, offset: blob.offset, length: blob.length, rawLength: blob.rawLength))
                })
            }
        }
        var packsFromHeaders: [PackID] = []
        if !damagedInEffect.isEmpty, let inventory {
            // Until `vault repair index` writes a new index, the headers of
            // the unindexed packs (one range read each) stand in for the
            // damaged files, so every snapshot can still be read. Blobs read
            // through them are checked against their IDs as always.
            for orphan in inventory.orphans {
                guard let header = try? await loadPackHeader(orphan.id, size: orphan.size) else { continue }
                packSizes[orphan.id] = orphan.size
                chunks.insert(contentsOf: header.locations(pack: orphan.id))
                packsFromHeaders.append(orphan.id)
            }
        }
        return LoadedIndex(
            chunks: chunks, packSizes: packSizes, files: files,
            damagedFiles: damagedInEffect, inventory: inventory, packsFromHeaders: packsFromHeaders
        )
    }

    /// Stores an index file.
    ///
    /// - Returns: Its ID.
    package func saveIndex(_ file: IndexFile) async throws(RepositoryError) -> IndexFileID {
        IndexFileID(try await saveObject(file.encoded(), kind: .index))
    }

    // MARK: Packs and blobs

    /// Stores a finished pack; a damaged pack of the same name is replaced.
    package func savePack(_ pack: FinishedPack) async throws(RepositoryError) {
        let name = ObjectName(pack.id)
        try await Self.storeContentAddressed(pack.bytes, as: name, id: pack.id.digest, in: storage)
    }

    /// Reads a pack's header with one range read of its tail.
    ///
    /// - Parameters:
    ///   - id: The pack's ID.
    ///   - size: The pack file's size.
    /// - Throws: ``RepositoryError`` with code `.damaged` when the header is
    ///   unreadable or does not account for the whole file.
    package func loadPackHeader(_ id: PackID, size: Int64) async throws(RepositoryError) -> PackHeader {
        let name = ObjectName(id)
        let what = "pack \(id.shortHex)"
        guard size >= Int64(PackHeader.trailerSize) else {
            throw RepositoryError.damaged(what, "\(size) bytes is too short for a pack")
        }
        // One request usually covers the trailer and the whole header.
        let tailLength = min(size, 64 * 1024)
        var tail = try await Self.storageCall { () async throws(StorageError) in
            try await storage.get(name, range: (size - tailLength)..<size)
        }
        guard tail.count == Int(tailLength) else {
            throw RepositoryError.damaged(what, "the storage returned \(tail.count) of \(tailLength) bytes asked for")
        }
        let headerLength = Int64(tail.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: tail.count - 4, as: UInt32.self)) })
        let headerStart = size - Int64(PackHeader.trailerSize) - headerLength
        guard headerStart >= 0 else {
            throw RepositoryError.damaged(what, "header length \(headerLength) exceeds the file")
        }
        if headerStart < size - tailLength {
            tail = try await Self.storageCall { () async throws(StorageError) in
                try await storage.get(name, range: headerStart..<size)
            }
            guard tail.count == Int(size - headerStart) else {
                throw RepositoryError.damaged(what, "the storage returned \(tail.count) of \(size - headerStart) bytes asked for")
            }
        }
        let sealedHeader = Array(tail[(tail.count - 4 - Int(headerLength))..<(tail.count - 4)])
        let header = try PackHeader(decoding: try cipher.open(sealedHeader, what: "header of \(what)"), pack: id)
        guard header.blobBytes == headerStart else {
            throw RepositoryError.damaged(what, "its header accounts for \(header.blobBytes) bytes of blobs, the file has \(headerStart)")
        }
        return header
    }

    /// Reads one blob, checks it against its ID and returns its plaintext.
    package func loadBlob(_ id: Digest256, at location: BlobLocation) async throws(RepositoryError) -> [UInt8] {
        try checkClaimedLengths(location, id: id)  // before reading or allocating what they claim
        let name = ObjectName(location.pack)
        let start = Int64(location.offset)
        let stored = try await Self.storageCall { () async throws(StorageError) in
            try await storage.get(name, range: start..<start + Int64(location.length))
        }
        return try decodeBlob(stored, id: id, at: location)
    }

    /// Opens a stored blob read from `location` and checks it against its ID.
    private func decodeBlob(_ stored: [UInt8], id: Digest256, at location: BlobLocation) throws(RepositoryError) -> [UInt8] {
        var decoder = BlobDecoder(cipher: cipher, identifier: identifier)
        return try decoder.decode(stored, id: id, rawLength: Int(location.rawLength))
    }

    /// Reads and decodes one tree blob.
    ///
    /// - Parameter id: The ID of a tree blob; a data blob with the same ID
    ///   is never taken for it.
    package func loadTree(_ id: Digest256, index: ChunkIndex) async throws(RepositoryError) -> Tree {
        guard let location = index.location(of: .tree(id)) else {
            throw RepositoryError(.damaged, "tree \(id.shortHex) is missing from the index")
        }
        let plaintext: [UInt8]
        if let treePacks {
            try checkClaimedLengths(location, id: id)  // before reading or allocating what they claim
            if let stored = await treePacks.storedBlob(at: location, in: storage) {
                plaintext = try decodeBlob(stored, id: id, at: location)
            } else {
                plaintext = try await loadBlob(id, at: location)
            }
        } else {
            plaintext = try await loadBlob(id, at: location)
        }
        return try Tree(decoding: plaintext, what: "tree \(id.shortHex)")
    }
}
