import Foundation
import Glibc
import Testing
import VaultTestSupport
import VaultChunker
import VaultCodecs
import VaultPOSIX
import VaultRepository
import VaultStorage
@testable import VaultOperations

/// Holes stay holes: a sparse file restores with about the space it had
/// (issue 11, item 13), measured with `st_blocks`.
@Suite("restore: sparse files")
struct RestoreSparseTests {
    /// A file of `size` bytes holding only `bytes` at `offsets`, the rest a hole.
    static func makeSparse(_ path: [UInt8], size: Int64, bytes: [(offset: Int64, value: [UInt8])]) throws {
        let file = try FileDescriptor.open(FilePath(bytes: path), .writeOnly, options: [.create, .truncate], permissions: 0o644)
        defer { try? file.close() }
        try file.truncate(to: size)
        for (offset, value) in bytes {
            try value.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: offset, $0) }
        }
    }

    /// Allocated bytes (`st_blocks` × 512).
    static func allocated(_ path: [UInt8]) throws -> Int64 {
        try TestFiles.status(path).blocks * 512
    }

    @Test(
        "a 20 MiB file holding 1 byte restores with its holes kept, with the default and with small chunks",
        arguments: [ChunkerParameters.repositoryDefault, RestoreFixture.chunker])
    func oneByteIn20MiB(chunker: ChunkerParameters) async throws {
        let scratch = try RestoreScratch()
        let storage = try LocalDirectoryStorage.create(at: scratch.appending("repo"))
        let repository = try await Repository.create(
            in: storage, config: RepositoryConfig(isEncrypted: true, chunker: chunker, compression: .zlib(level: 1), packSize: 1 << 20),
            password: "pw", kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1))
        let source = scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        let file = TestFiles.join(source, "sparse")
        try Self.makeSparse(file, size: 20 << 20, bytes: [(10 << 20, [0x78])])
        let original = try Self.allocated(file)
        var options = BackupOptions(paths: [source])
        options.kind = .full
        _ = try await Backup(repository: repository, options: options).run()

        let target = scratch.appending("target")
        let restore = Restore(repository: repository, options: RestoreOptions(snapshot: try SnapshotReference(parsing: "latest:\(source)"), target: target))
        let result = try await restore.run()
        #expect(result.problems == [])
        let restored = TestFiles.join(target, "sparse")
        #expect(try TestFiles.status(restored).size == 20 << 20)
        #expect(try TestFiles.read(restored) == (try TestFiles.read(file)))
        let allocated = try Self.allocated(restored)
        // Within one minimum chunk of the original (a few blocks at most, in fact).
        #expect(allocated <= original + Int64(chunker.minSize), "allocated \(allocated) bytes; the original \(original)")
        #expect(allocated <= original + 16 * 4096, "allocated \(allocated) bytes; the original \(original)")
        #expect(result.summary.bytesRestored == 20 << 20)
        #expect(result.summary.bytesWritten < 16 * 4096, "wrote \(result.summary.bytesWritten) bytes")
    }

    @Test("holes among data at unaligned offsets: contents exact, only the data's blocks allocated")
    func scatteredData() async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        let file = TestFiles.join(source, "scattered")
        var pieces: [(offset: Int64, value: [UInt8])] = []
        for index in 0..<40 {
            // Every 150 KiB + 123 bytes: unaligned, many inside chunks that are not all zeros.
            pieces.append((Int64(index) * (150 * 1024 + 123), TestFiles.random(1 + index * 97, seed: UInt64(index))))
        }
        try Self.makeSparse(file, size: 8 << 20, bytes: pieces)
        let original = try Self.allocated(file)
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        let result = try await fixture.restore("latest:\(source)", into: target)
        #expect(result.problems == [])
        let restored = TestFiles.join(target, "scattered")
        #expect(try TestFiles.read(restored) == (try TestFiles.read(file)))
        let allocated = try Self.allocated(restored)
        // Each piece touches at most two blocks in either file; chunk edges add at most two blocks per chunk.
        #expect(allocated <= original + 2 * 4096 * 40, "allocated \(allocated) bytes; the original \(original)")
    }

    @Test("writing sparsely: every split of zeros and data at every alignment reads back exactly")
    func writeSparselyIsExact() throws {
        let scratch = try RestoreScratch()
        var random = SplitMix64(seed: 99)
        for trial in 0..<60 {
            let length = Int(random.next() % 40_000) + 1
            var bytes = [UInt8](repeating: 0, count: length)
            // Runs of data between runs of zeros.
            var position = 0
            while position < length {
                let zeros = Int(random.next() % 12_000)
                let data = Int(random.next() % 3_000)
                position = min(length, position + zeros)
                for index in position..<min(length, position + data) { bytes[index] = UInt8(truncatingIfNeeded: random.next() | 1) }
                position += data
            }
            let offset = Int64(random.next() % 20_000)
            let path = TestFiles.join(scratch.path, "f\(trial)")
            let file = try FileDescriptor.open(FilePath(bytes: path), .readWrite, options: [.create, .exclusive], permissions: 0o600)
            let written = try bytes.withUnsafeBytes { buffer in try RestoreLane.writeSparsely(buffer, at: offset, to: file) }
            try file.truncate(to: offset + Int64(length))
            try file.close()
            let back = try TestFiles.read(path)
            #expect(back == [UInt8](repeating: 0, count: Int(offset)) + bytes, "trial \(trial)")
            let lastNonZero = bytes.lastIndex { $0 != 0 }
            #expect(written.end <= offset + Int64(length))
            if let lastNonZero {
                #expect(written.end >= offset + Int64(lastNonZero) + 1)
                #expect(written.bytes >= Int64(bytes.count { $0 != 0 }))
            } else {
                #expect(written.bytes == 0 || length < 2 * RestoreLane.holeBlockSize)
            }
        }
    }
}
