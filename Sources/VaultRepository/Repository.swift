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

    private init(storage: any Storage, config: RepositoryConfig, keys: MasterKeys?) {
        self.storage = storage
        self.config = config
        self.keys = keys
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
        let keyFiles = try await storageCall { () async throws(StorageError) in
            try await storage.listAllObjects(.keys)
        }
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
        let keys = try await openKeys(in: storage, names: keyFiles.map(\.name), password: password).keys
        let repository = Repository(storage: storage, config: try RepositoryConfig(decoding: bytes, cipher: ObjectCipher(keys: keys)), keys: keys)
        return repository
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
        do {
            try await storage.put(bytes, as: name)
        } catch where error.code == .alreadyExists {
            // The same bytes are already there: content addressing makes this a success.
        } catch {
            throw RepositoryError(error)
        }
        return id
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
        try await Self.storageCall { () async throws(StorageError) in try await storage.listAllObjects(kind) }.sorted { $0.name < $1.name }
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
    package func addKey(password: String, kdf: KeyFile.ScryptParameters = .default) async throws(RepositoryError) -> Digest256 {
        guard let keys else {
            throw RepositoryError(.invalidRequest, "the repository is not encrypted: it has no keys")
        }
        guard !password.isEmpty else {
            throw RepositoryError(.passwordRequired, "the new password is empty")
        }
        let keyFile = try KeyFile(wrapping: keys, password: password, kdf: kdf, host: HostIdentity.hostName, user: HostIdentity.userName)
        return try await Self.storeNamedBySHA256(keyFile.encoded(), kind: .keys, in: storage)
    }

    /// The repository's key files.
    package func keyFiles() async throws(RepositoryError) -> [(id: Digest256, file: KeyFile)] {
        var result: [(Digest256, KeyFile)] = []
        for info in try await list(.keys) {
            let bytes = try await Self.storageCall { () async throws(StorageError) in try await storage.get(info.name) }
            result.append((Digest256(hex: info.name.name)!, try KeyFile(decoding: bytes, what: "\(info.name)")))
        }
        return result
    }

    /// The key file that `password` opens.
    package func keyFileID(openedBy password: String) async throws(RepositoryError) -> Digest256 {
        let names = try await list(.keys).map(\.name)
        return Digest256(hex: try await Self.openKeys(in: storage, names: names, password: password).name.name)!
    }

    /// Removes a key file; the last one is never removed.
    ///
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` for the last
    ///   key or an unknown ID.
    package func removeKey(_ id: Digest256) async throws(RepositoryError) {
        let names = try await list(.keys).map(\.name)
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
    package func saveSnapshot(_ manifest: SnapshotManifest) async throws(RepositoryError) -> Digest256 {
        try await saveObject(manifest.encoded(), kind: .snapshots)
    }

    /// Loads one snapshot manifest.
    package func loadSnapshot(_ id: Digest256) async throws(RepositoryError) -> SnapshotManifest {
        let name = try! ObjectName(kind: .snapshots, name: id.hex)
        return try SnapshotManifest(decoding: try await loadObject(name), what: "snapshot \(id.shortHex)")
    }

    /// Loads every snapshot manifest, oldest first.
    package func snapshots() async throws(RepositoryError) -> [(id: Digest256, manifest: SnapshotManifest)] {
        var result: [(id: Digest256, manifest: SnapshotManifest)] = []
        for info in try await list(.snapshots) {
            guard let id = Digest256(hex: info.name.name) else { continue }
            result.append((id, try await loadSnapshot(id)))
        }
        return result.sorted { ($0.manifest.time, $0.id) < ($1.manifest.time, $1.id) }
    }

    // MARK: Index

    /// The loaded index: every indexed blob, and which index files it came from.
    package struct LoadedIndex: Sendable {
        /// Blob locations.
        package var chunks: ChunkIndex
        /// Pack sizes, from the index files.
        package var packSizes: [Digest256: Int64]
        /// The index files in effect (not superseded).
        package var files: [Digest256]
    }

    /// Loads and merges every index file that no other supersedes.
    package func loadIndex() async throws(RepositoryError) -> LoadedIndex {
        var decoded: [(Digest256, IndexFile)] = []
        var superseded: Set<Digest256> = []
        for info in try await list(.index) {
            guard let id = Digest256(hex: info.name.name) else { continue }
            let file = try IndexFile(decoding: try await loadObject(info.name), what: "\(info.name)")
            superseded.formUnion(file.supersedes)
            decoded.append((id, file))
        }
        let blobCount = decoded.reduce(0) { total, entry in total + entry.1.packs.reduce(0) { $0 + $1.blobs.count } }
        var chunks = ChunkIndex(expectedCount: blobCount)
        var packSizes: [Digest256: Int64] = [:]
        var files: [Digest256] = []
        for (id, file) in decoded where !superseded.contains(id) {
            files.append(id)
            for pack in file.packs {
                packSizes[pack.id] = pack.size
                chunks.insert(contentsOf: pack.blobs.lazy.map { blob in
                    (blob.id, BlobLocation(pack: pack.id, type: blob.type, offset: blob.offset, length: blob.length, rawLength: blob.rawLength))
                })
            }
        }
        return LoadedIndex(chunks: chunks, packSizes: packSizes, files: files)
    }

    /// Stores an index file.
    ///
    /// - Returns: Its ID.
    package func saveIndex(_ file: IndexFile) async throws(RepositoryError) -> Digest256 {
        try await saveObject(file.encoded(), kind: .index)
    }

    // MARK: Packs and blobs

    /// Stores a finished pack.
    package func savePack(_ pack: FinishedPack) async throws(RepositoryError) {
        let name = try! ObjectName(kind: .data, name: pack.id.hex)
        do {
            try await storage.put(pack.bytes, as: name)
        } catch where error.code == .alreadyExists {
            // Identical bytes: another writer stored the same pack.
        } catch {
            throw RepositoryError(error)
        }
    }

    /// Reads a pack's header with one range read of its tail.
    ///
    /// - Parameters:
    ///   - id: The pack's ID.
    ///   - size: The pack file's size.
    /// - Throws: ``RepositoryError`` with code `.damaged` when the header is
    ///   unreadable or does not account for the whole file.
    package func loadPackHeader(_ id: Digest256, size: Int64) async throws(RepositoryError) -> PackHeader {
        let name = try! ObjectName(kind: .data, name: id.hex)
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
        let name = try! ObjectName(kind: .data, name: location.pack.hex)
        let start = Int64(location.offset)
        let stored = try await Self.storageCall { () async throws(StorageError) in
            try await storage.get(name, range: start..<start + Int64(location.length))
        }
        var decoder = BlobDecoder(cipher: cipher, identifier: identifier)
        return try decoder.decode(stored, id: id, rawLength: Int(location.rawLength))
    }

    /// Reads and decodes one tree blob.
    package func loadTree(_ id: Digest256, index: ChunkIndex) async throws(RepositoryError) -> Tree {
        guard let location = index.location(of: id) else {
            throw RepositoryError(.damaged, "tree \(id.shortHex) is missing from the index")
        }
        return try Tree(decoding: try await loadBlob(id, at: location), what: "tree \(id.shortHex)")
    }
}

extension Storage {
    /// Collects a listing, keeping typed storage errors.
    package func listAllObjects(_ kind: ObjectKind) async throws(StorageError) -> [ObjectInfo] {
        do {
            return try await listAll(kind)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, name: nil, message: "listing \(kind.rawValue) in \(location) failed: \(error)")
        }
    }
}
