import Testing
import VaultTestSupport
@testable import VaultCodecs

/// Round trips, the RFC 1950 framing, output limits and damaged input.
@Suite struct ZlibTests {
    static let samples: [(name: String, bytes: [UInt8])] = [
        ("empty", []),
        ("one byte", [0x42]),
        ("zeros", [UInt8](repeating: 0, count: 1 << 20)),
        ("random", pseudoRandomBytes(count: 100_003, seed: 1)),
        ("text", textLikeBytes(200_000, seed: 2)),
    ]

    @Test(arguments: 0...9)
    func roundTripsAtLevel(_ level: Int) throws {
        var compressor = try ZlibCompressor(level: level)
        let decompressor = try ZlibDecompressor()
        for sample in Self.samples {
            let compressed = compressor.compress(sample.bytes)
            #expect(compressed.count <= ZlibCompressor.bound(sample.bytes.count), "\(sample.name)")
            #expect(Self.isZlibFrame(compressed, of: sample.bytes), "\(sample.name)")
            let restored = try decompressor.decompress(compressed, maxOutputSize: sample.bytes.count)
            #expect(restored == sample.bytes, "\(sample.name)")
        }
    }

    @Test func compressibleDataShrinksAndRandomDataDoesNot() throws {
        var compressor = try ZlibCompressor(level: 6)
        let zeros = compressor.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(zeros.count < 2_000)
        let text = textLikeBytes(200_000, seed: 3)
        #expect(compressor.compress(text).count < text.count / 2)
        let random = pseudoRandomBytes(count: 100_000, seed: 4)
        #expect(compressor.compress(random).count > 100_000)
        #expect(compressor.compress(random).count <= ZlibCompressor.bound(100_000))
    }

    @Test func reusedCompressorMatchesFreshOne() throws {
        var reused = try ZlibCompressor(level: 6)
        for (index, sample) in Self.samples.enumerated() {
            var fresh = try ZlibCompressor(level: 6)
            #expect(reused.compress(sample.bytes) == fresh.compress(sample.bytes), "sample \(index)")
        }
    }

    @Test func compressAppendsAfterExistingBytes() throws {
        var compressor = try ZlibCompressor(level: 1)
        let input = textLikeBytes(10_000, seed: 5)
        var output: [UInt8] = [9, 8, 7]
        input.withUnsafeBytes { compressor.compress($0, appendingTo: &output) }
        #expect(output[..<3] == [9, 8, 7])
        #expect(try Zlib.decompress(Array(output[3...]), maxOutputSize: input.count) == input)
    }

    @Test func boundCoversIncompressibleInputOfManySizes() throws {
        var compressor = try ZlibCompressor(level: 9)
        for size in [0, 1, 2, 100, 16_383, 16_384, 16_385, 65_536, 300_001] {
            let input = pseudoRandomBytes(count: size, seed: UInt64(size))
            #expect(compressor.compress(input).count <= ZlibCompressor.bound(size), "size \(size)")
        }
    }

    @Test(arguments: [-1, 10, 100])
    func invalidLevelIsRejected(_ level: Int) {
        let error = #expect(throws: CodecError.self) { _ = try ZlibCompressor(level: level) }
        #expect(error?.code == .invalidParameter)
        let oneShotError = #expect(throws: CodecError.self) { try Zlib.compress([1, 2, 3], level: level) }
        #expect(oneShotError?.code == .invalidParameter)
    }

    @Test func oneShotConveniencesRoundTrip() throws {
        let input = textLikeBytes(50_000, seed: 6)
        let compressed = try Zlib.compress(input, level: 3)
        #expect(compressed.count < input.count)
        #expect(try Zlib.decompress(compressed, maxOutputSize: 1 << 20) == input)
        #expect(try Zlib.decompress(try Zlib.compress([]), maxOutputSize: 0) == [])
    }

    // MARK: Output limits

    @Test func outputLimitIsInclusive() throws {
        let input = textLikeBytes(70_000, seed: 7)
        let compressed = try Zlib.compress(input)
        let decompressor = try ZlibDecompressor()
        #expect(try decompressor.decompress(compressed, maxOutputSize: input.count) == input)
        for limit in [0, 1, 4095, 4096, 69_999] {
            let error = #expect(throws: CodecError.self) { try decompressor.decompress(compressed, maxOutputSize: limit) }
            #expect(error?.code == .outputTooLarge, "limit \(limit)")
        }
        #expect(try decompressor.decompress(compressed, maxOutputSize: Int.max) == input)
    }

    @Test func decompressionBombIsStoppedAtTheLimit() throws {
        // 64 MiB of zeros compress to about 64 KiB; a 1 MiB limit must stop it.
        let compressed = try Zlib.compress([UInt8](repeating: 0, count: 64 << 20), level: 9)
        #expect(compressed.count < 100_000)
        let error = #expect(throws: CodecError.self) { try Zlib.decompress(compressed, maxOutputSize: 1 << 20) }
        #expect(error?.code == .outputTooLarge)
    }

    @Test func decompressIntoExactBuffer() throws {
        let input = textLikeBytes(30_000, seed: 8)
        let compressed = try Zlib.compress(input)
        let decompressor = try ZlibDecompressor()
        var output = [UInt8](repeating: 0, count: input.count)
        let written = try compressed.withUnsafeBytes { compressed in
            try output.withUnsafeMutableBytes { try decompressor.decompress(compressed, into: $0) }
        }
        #expect(written == input.count)
        #expect(output == input)

        var roomy = [UInt8](repeating: 0, count: input.count + 10)
        let roomyWritten = try compressed.withUnsafeBytes { compressed in
            try roomy.withUnsafeMutableBytes { try decompressor.decompress(compressed, into: $0) }
        }
        #expect(roomyWritten == input.count)
        #expect(Array(roomy[..<input.count]) == input)

        var small = [UInt8](repeating: 0, count: input.count - 1)
        let error = #expect(throws: CodecError.self) {
            try compressed.withUnsafeBytes { compressed in
                try small.withUnsafeMutableBytes { try decompressor.decompress(compressed, into: $0) }
            }
        }
        #expect(error?.code == .outputTooLarge)
    }

    @Test func decompressEmptyStreamIntoEmptyBuffer() throws {
        let compressed = try Zlib.compress([])
        let decompressor = try ZlibDecompressor()
        let written = try compressed.withUnsafeBytes { compressed in
            try decompressor.decompress(compressed, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        #expect(written == 0)
    }

    // MARK: Damaged input

    @Test func everyProperPrefixIsTruncated() throws {
        let input = textLikeBytes(3_000, seed: 9)
        let compressed = try Zlib.compress(input)
        let decompressor = try ZlibDecompressor()
        for length in 0..<compressed.count {
            let error = #expect(throws: CodecError.self) {
                try decompressor.decompress(Array(compressed.prefix(length)), maxOutputSize: input.count)
            }
            #expect(error?.code == .truncated, "prefix of \(length) bytes")
        }
        #expect(try decompressor.decompress(compressed, maxOutputSize: input.count) == input)
    }

    @Test func damagedChecksumIsCorrupt() throws {
        let input = textLikeBytes(5_000, seed: 10)
        var compressed = try Zlib.compress(input)
        compressed[compressed.count - 1] ^= 0x01
        let error = #expect(throws: CodecError.self) { try Zlib.decompress(compressed, maxOutputSize: input.count) }
        #expect(error?.code == .corrupt)
    }

    @Test func damagedHeaderIsCorrupt() throws {
        var compressed = try Zlib.compress(Array("hello".utf8))
        compressed[0] = 0x79 // compression method 9 does not exist
        let error = #expect(throws: CodecError.self) { try Zlib.decompress(compressed, maxOutputSize: 100) }
        #expect(error?.code == .corrupt)
    }

    @Test func anyFlippedByteIsDetectedOrHarmless() throws {
        // Flipping a bit either fails with a typed error or (in padding bits)
        // decodes to the same bytes; it never returns different data.
        let input = textLikeBytes(2_000, seed: 11)
        let compressed = try Zlib.compress(input)
        let decompressor = try ZlibDecompressor()
        var detected = 0
        for position in compressed.indices {
            for bit in [0, 3, 7] {
                var damaged = compressed
                damaged[position] ^= UInt8(1 << bit)
                do {
                    let restored = try decompressor.decompress(damaged, maxOutputSize: input.count)
                    #expect(restored == input, "byte \(position) bit \(bit) decoded to different data")
                } catch {
                    detected += 1
                }
            }
        }
        #expect(detected > compressed.count * 3 * 9 / 10)
    }

    @Test func garbageIsRejected() throws {
        let decompressor = try ZlibDecompressor()
        let text = Array("this is not a zlib stream at all".utf8)
        let error = #expect(throws: CodecError.self) { try decompressor.decompress(text, maxOutputSize: 1000) }
        #expect(error?.code == .corrupt)
        for seed in UInt64(0)..<200 {
            let garbage = pseudoRandomBytes(count: Int(seed % 97) + 2, seed: seed)
            #expect(throws: CodecError.self) { try decompressor.decompress(garbage, maxOutputSize: 1 << 16) }
        }
    }

    @Test func trailingBytesAreCorrupt() throws {
        let compressed = try Zlib.compress(Array("payload".utf8)) + [0]
        let error = #expect(throws: CodecError.self) { try Zlib.decompress(compressed, maxOutputSize: 100) }
        #expect(error?.code == .corrupt)
    }

    @Test func decompressorRecoversAfterAnError() throws {
        let decompressor = try ZlibDecompressor()
        let input = textLikeBytes(1_000, seed: 12)
        let compressed = try Zlib.compress(input)
        #expect(throws: CodecError.self) { try decompressor.decompress(Array(compressed.prefix(10)), maxOutputSize: 5_000) }
        #expect(throws: CodecError.self) { try decompressor.decompress([0x78, 0x9c, 0xff, 0xff], maxOutputSize: 5_000) }
        #expect(throws: CodecError.self) { try decompressor.decompress(compressed, maxOutputSize: 10) }
        #expect(try decompressor.decompress(compressed, maxOutputSize: 5_000) == input)
    }

    // MARK: Helpers

    /// Checks the RFC 1950 framing: a CMF/FLG header for deflate with a 32 KiB
    /// window whose check bits are right, and a trailing Adler-32 of `original`.
    static func isZlibFrame(_ stream: [UInt8], of original: [UInt8]) -> Bool {
        guard stream.count >= 6, stream[0] == 0x78, (UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0,
              stream[1] & 0x20 == 0
        else { return false }
        let trailer = stream.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return trailer == adler32(original)
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
