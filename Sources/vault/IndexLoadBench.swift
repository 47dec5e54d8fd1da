import Foundation
import VaultCodecs
import VaultRepository
import VaultStorage

/// Measures loading the index of a repository with many chunks: what every
/// command that reads data does first (issue 3: 1 million chunks in under a second).
enum IndexLoadBench {
    /// Writes an encrypted repository whose index lists `entries` blobs in
    /// packs of 100, then times ``Repository/loadIndex()`` (read, open,
    /// decode, build the ``ChunkIndex``) and prints the fastest of `passes`.
    static func run(entries: Int, passes: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vault-index-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let storage = try LocalDirectoryStorage.create(at: folder)
        let repository = try await Repository.create(
            in: storage, config: RepositoryConfig(isEncrypted: true), password: "bench", kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1)
        )
        var random = SystemRandomNumberGenerator()
        func randomID() -> Digest256 {
            Digest256(words: (random.next(), random.next(), random.next(), random.next()))
        }
        var packs: [IndexFile.Pack] = []
        for _ in 0..<(entries / 100) {
            let blobs = (0..<100).map { number in
                IndexFile.Blob(id: randomID(), type: .data, offset: UInt32(number) << 17, length: 1 << 17, rawLength: 1 << 18)
            }
            packs.append(IndexFile.Pack(id: PackID(randomID()), size: 100 << 17 + 4200, blobs: blobs))
        }
        _ = try await repository.saveIndex(IndexFile(packs: packs))
        let fileSize = try await storage.listAll(.index).first?.size ?? 0

        var fastest = Double.infinity
        var loaded = 0
        var footprint = 0
        for _ in 0..<passes {
            let start = ContinuousClock.now
            let index = try await repository.loadIndex()
            let elapsed = ContinuousClock.now - start
            fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            loaded = index.chunks.count
            footprint = index.chunks.memoryFootprint
        }
        print("index load: \(loaded) chunks from a \(ByteCount.format(fileSize)) encrypted index file in "
            + String(format: "%.3f s", fastest) + " (fastest of \(passes)); ChunkIndex holds them in \(ByteCount.format(Int64(footprint)))")
    }
}
