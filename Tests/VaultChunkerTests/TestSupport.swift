import Foundation
import Testing
import VaultTestSupport
import VaultCodecs

@testable import VaultChunker


/// Where the test inputs live.
enum TestFiles {
    /// The package root: three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/chunker/SekienAkashita.jpg`, the public-domain image
    /// fastcdc-rs publishes its test vectors for (109,466 bytes).
    static let sekienPath = packageRoot.appendingPathComponent("Fixtures/chunker/SekienAkashita.jpg").path

    /// The image's SHA-256, so a damaged or replaced copy fails loudly.
    static let sekienSHA256 = "d9e749d9367fc908876749d6502eb212fee88c9a94892fb07da5ef3ba8bc39ed"

    /// Reads SekienAkashita.jpg and checks it is the published image; a
    /// missing or different file fails the test that asked.
    static func sekien() throws -> [UInt8] {
        let data = try #require(
            FileManager.default.contents(atPath: sekienPath),
            "test image missing: expected SekienAkashita.jpg at \(sekienPath)"
        )
        let bytes = [UInt8](data)
        try #require(bytes.count == 109_466, "\(sekienPath) is \(bytes.count) bytes, expected 109466")
        let digest = SHA256Hasher.hash(bytes).hex
        try #require(digest == sekienSHA256, "\(sekienPath) has SHA-256 \(digest), expected \(sekienSHA256)")
        return bytes
    }

    /// A file under `Fixtures/chunker/`.
    static func chunkerFixture(_ name: String) throws -> String {
        let path = packageRoot.appendingPathComponent("Fixtures/chunker/\(name)").path
        let data = try #require(FileManager.default.contents(atPath: path), "fixture missing: \(path)")
        return String(decoding: data, as: UTF8.self)
    }
}

/// One chunk as fastcdc-rs reports it.
struct ExpectedChunk: Equatable, CustomStringConvertible {
    var offset: Int
    var length: Int
    var hash: UInt64

    var description: String { "(offset \(offset), length \(length), hash \(hash))" }
}

extension FastCDC {
    /// Test shorthand: a chunker from sizes known to be valid.
    static func make(
        _ minSize: Int, _ avgSize: Int, _ maxSize: Int,
        normalization: Int = 1, gear: GearTable = .fastCDC
    ) throws -> FastCDC {
        try FastCDC(
            parameters: ChunkerParameters(minSize: minSize, avgSize: avgSize, maxSize: maxSize),
            gear: gear, normalization: normalization)
    }

    /// Every chunk of `bytes` with its hash, by repeated `cut(in:)`.
    func expectedChunks(of bytes: [UInt8]) -> [ExpectedChunk] {
        bytes.withUnsafeBytes { buffer in
            var chunks: [ExpectedChunk] = []
            var start = 0
            while start < buffer.count {
                let (length, hash) = cut(in: UnsafeRawBufferPointer(rebasing: buffer[start...]))
                chunks.append(ExpectedChunk(offset: start, length: length, hash: hash))
                start += length
            }
            return chunks
        }
    }
}

/// Runs a `ChunkStream` over `bytes`, the source giving at most
/// `readLimit(call)` bytes per call, and checks each chunk's bytes and
/// offset against the input.
///
/// - Returns: The chunks' ranges.
func streamRanges(
    of bytes: [UInt8], chunker: FastCDC, readSize: Int = ChunkStream.defaultReadSize,
    readLimit: @escaping (Int) -> Int = { _ in Int.max }
) throws -> [Range<Int>] {
    final class Cursor: @unchecked Sendable {
        var position = 0
        var calls = 0
    }
    let cursor = Cursor()
    var stream = ChunkStream(chunker: chunker, readSize: readSize) { buffer in
        let limit = readLimit(cursor.calls)
        cursor.calls += 1
        let count = min(buffer.count, bytes.count - cursor.position, limit)
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[cursor.position..<(cursor.position + count)]))
        }
        cursor.position += count
        return count
    }
    var ranges: [Range<Int>] = []
    var mismatches = 0
    while let range = try stream.next({ chunk, offset -> Range<Int> in
        if !chunk.elementsEqual(bytes[offset..<min(offset + chunk.count, bytes.count)]) {
            mismatches += 1
        }
        return offset..<(offset + chunk.count)
    }) {
        ranges.append(range)
    }
    #expect(mismatches == 0, "streamed chunk bytes differ from the input")
    #expect(stream.offset == bytes.count)
    return ranges
}
