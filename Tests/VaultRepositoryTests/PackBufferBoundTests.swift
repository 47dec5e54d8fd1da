import Testing
import VaultChunker
import VaultCodecs
import VaultStorage
import VaultTestSupport
@testable import VaultRepository

/// The open pack's buffer is reserved once per pack at pack size + largest
/// blob + header, and not grown by doubling (docs/architecture.md, "Backup
/// memory bound").
@Suite("Pack buffer bound")
struct PackBufferBoundTests {
    /// What `malloc` may round a capacity up to (a page).
    static let allocatorSlack = 4096

    /// A 1 MiB pack size with chunks of at most 256 KiB, so that doubling
    /// a pack's buffer (to 2 MiB) lands far outside pack size + largest blob.
    struct SmallChunkRepository {
        let directory: TemporaryDirectory
        let repository: Repository
    }

    static func repository(encrypted: Bool) async throws -> SmallChunkRepository {
        let directory = try TemporaryDirectory()
        let storage = try LocalDirectoryStorage.create(at: directory.appending("repo"))
        let chunker = try ChunkerParameters(minSize: 16 << 10, avgSize: 64 << 10, maxSize: 256 << 10)
        let config = RepositoryConfig(isEncrypted: encrypted, chunker: chunker, packSize: 1 << 20)
        let repository = try await Repository.create(in: storage, config: config, password: encrypted ? "pack" : nil, kdf: testKDF)
        return SmallChunkRepository(directory: directory, repository: repository)
    }

    /// Blob sizes up to the maximum chunk size, seeded: mostly small, some at the maximum.
    static func blobSizes(count: Int, maximum: Int, seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            switch generator.next() % 4 {
            case 0: maximum
            case 1: Int(generator.next() % 2000)
            default: Int(generator.next() % UInt64(maximum + 1))
            }
        }
    }

    @Test("over many packs the data pack's buffer is reserved once at pack size + largest blob + header", arguments: [true, false])
    func reservedOncePerPack(encrypted: Bool) async throws {
        let test = try await Self.repository(encrypted: encrypted)
        let repository = test.repository
        let reservation = RepositoryWriter.packReservation(for: repository)
        #expect(reservation < 2 * repository.config.packSize, "the bound must be tighter than doubling for this test to mean anything")
        var writer = RepositoryWriter(repository: repository, index: ChunkIndex())
        let encoders = BlobEncoderPool(cipher: repository.cipher, compression: .none)
        var packs = 0
        var capacityOfOpenPack = 0
        for (number, size) in Self.blobSizes(count: 600, maximum: repository.config.chunker.maxSize, seed: 18).enumerated() {
            let plaintext = pseudoRandomBytes(count: size, seed: UInt64(number))
            let id = repository.identifier.id(of: plaintext)
            guard writer.reserve(.data(id)) else { continue }
            let blob = plaintext.withUnsafeBytes { encoders.encode($0, id: id, type: .data) }
            let finished = writer.append(blob)
            if let finished {
                packs += 1
                // Finished in the buffer reserved for it: no copy, no growth.
                #expect(finished.bytes.capacity == capacityOfOpenPack)
                #expect(finished.bytes.count <= reservation)
                writer.recordStored(StoredPack(finished))
                #expect(writer.openPackCapacities.data == 0, "the next pack reserves at its first blob")
                capacityOfOpenPack = 0
            } else {
                let capacity = writer.openPackCapacities.data
                if capacityOfOpenPack == 0 {
                    #expect(capacity >= reservation)
                    #expect(capacity <= reservation + Self.allocatorSlack)
                    capacityOfOpenPack = capacity
                } else {
                    #expect(capacity == capacityOfOpenPack, "the open pack's buffer grew")
                }
            }
        }
        #expect(packs >= 40)
        for pack in writer.finishOpenPacks() {
            #expect(pack.bytes.capacity <= reservation + Self.allocatorSlack)
        }
        #expect(writer.openPackCapacities.tree == 0, "no tree blob, no tree pack buffer")
    }

    @Test("blobs added inline (compressed while added) stay within the reservation too")
    func inlineAddsStayWithinReservation() async throws {
        let test = try await Self.repository(encrypted: true)
        let repository = test.repository
        let reservation = RepositoryWriter.packReservation(for: repository)
        var writer = RepositoryWriter(repository: repository, index: ChunkIndex())
        for (number, size) in Self.blobSizes(count: 150, maximum: repository.config.chunker.maxSize, seed: 7).enumerated() {
            // Half random, half compressible.
            var plaintext = pseudoRandomBytes(count: size, seed: UInt64(number))
            if number % 2 == 0 { plaintext = plaintext.map { $0 & 0x03 } }
            _ = plaintext.withUnsafeBytes { writer.stage($0, type: .data) }
            #expect(writer.openPackCapacities.data <= reservation + Self.allocatorSlack)
            if writer.hasFullPack {
                try await writer.storeFullPacks()
            }
        }
        try await writer.flush()
        #expect(writer.bytesAdded > 10 * Int64(repository.config.packSize))
    }

    @Test("a pack of many tiny blobs outgrows the header allowance by a quarter at a time, not by doubling")
    func headerBeyondAllowance() {
        let packSize = 1 << 20
        let reservation = PackWriter.reservation(packSize: packSize, largestBlob: 4096, cipher: .plain)
        var pack = PackWriter(cipher: .plain, reservingCapacity: reservation)
        var regrowths = 0
        var capacity = 0
        var number: UInt64 = 0
        while pack.size < packSize {
            number += 1
            let blob = pseudoRandomBytes(count: 40, seed: number)
            blob.withUnsafeBytes { pack.add(type: .data, id: SHA256Hasher.hash(blob), rawLength: blob.count, stored: $0) }
            if pack.capacity != capacity {
                regrowths += 1
                capacity = pack.capacity
            }
        }
        let finished = pack.finish()
        // 40-byte blobs and 41-byte header entries: the header is as large
        // as the blobs, far beyond the 32 KiB allowed for.
        #expect(finished.bytes.count > packSize + packSize / 2)
        #expect(finished.bytes.capacity <= max(reservation, finished.bytes.count + finished.bytes.count / 4) + Self.allocatorSlack)
        #expect(regrowths <= 8, "first reservation plus growths of a quarter: \(regrowths)")
    }

    @Test("the pack's bytes do not depend on the reservation")
    func bytesIndependentOfReservation() {
        let blobs = (0..<300).map { pseudoRandomBytes(count: 100 + Int($0) * 37, seed: UInt64($0)) }
        func pack(reserving capacity: Int) -> FinishedPack {
            var writer = PackWriter(cipher: .plain, reservingCapacity: capacity)
            for blob in blobs {
                blob.withUnsafeBytes { writer.add(type: .data, id: SHA256Hasher.hash(blob), rawLength: blob.count, stored: $0) }
            }
            return writer.finish()
        }
        let unreserved = pack(reserving: 0)
        for capacity in [1, 4096, PackWriter.reservation(packSize: 1 << 20, largestBlob: 12_000, cipher: .plain), 8 << 20] {
            let reserved = pack(reserving: capacity)
            #expect(reserved.bytes == unreserved.bytes)
            #expect(reserved.id == unreserved.id)
        }
    }
}
