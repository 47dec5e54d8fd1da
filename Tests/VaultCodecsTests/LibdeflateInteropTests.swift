import Foundation
import Testing
import VaultTestSupport
@testable import VaultCodecs

/// libdeflate and zlib write and read the same RFC 1950 streams: every
/// stream one makes, the other inflates to the same bytes, at every level,
/// on random, text-like and real data (this package's sources, documents
/// under /usr/share, a compiled binary, a JPEG). zlib is the reference.
@Suite struct LibdeflateInteropTests {
    /// Pieces of each kind of data, of sizes drawn from a seeded generator
    /// (empty, tiny, and up to 1.5 MiB, about the repository's chunks).
    static let corpus: [(name: String, pieces: [[UInt8]])] = {
        var kinds: [(String, [UInt8])] = [
            ("random", pseudoRandomBytes(count: 1 << 20, seed: 41)),
            ("text-like", textLikeBytes(1 << 20, seed: 42)),
            ("zeros", [UInt8](repeating: 0, count: 1 << 19)),
        ]
        for (name, bytes) in RealData.all where !bytes.isEmpty {
            kinds.append((name, bytes))
        }
        return kinds.map { name, bytes in (name, pieces(of: bytes, seed: UInt64(bytes.count))) }
    }()

    static func pieces(of bytes: [UInt8], seed: UInt64) -> [[UInt8]] {
        var generator = SplitMix64(seed: seed)
        var pieces: [[UInt8]] = [[], Array(bytes.prefix(1)), Array(bytes.prefix(100))]
        var offset = 0
        while offset < bytes.count {
            let size = switch generator.next() % 4 {
            case 0: Int(generator.next() % 4096) + 1
            case 1: Int(generator.next() % (64 << 10)) + 1
            default: Int(generator.next() % (1 << 20)) + 1
            }
            let end = min(bytes.count, offset + size)
            pieces.append(Array(bytes[offset..<end]))
            offset = end
        }
        return pieces
    }

    @Test func corpusHasRealData() {
        // The package's own sources and the test binary are always there.
        #expect(Self.corpus.contains { $0.name == "package sources" })
        #expect(Self.corpus.contains { $0.name == "compiled binary" })
    }

    @Test(arguments: LibdeflateCompressor.levels)
    func libdeflateStreamsInflateWithZlib(_ level: Int) throws {
        var compressor = try LibdeflateCompressor(level: level)
        let zlib = try ZlibDecompressor()
        for (name, pieces) in Self.corpus {
            for piece in pieces {
                let stream = compressor.compress(piece)
                #expect(stream.count <= LibdeflateCompressor.bound(piece.count))
                #expect(ZlibTests.isZlibFrame(stream, of: piece), "\(name), \(piece.count) bytes")
                let restored = try zlib.decompress(stream, maxOutputSize: piece.count)
                #expect(sameBytes(restored, piece), "\(name), \(piece.count) bytes at level \(level)")
            }
        }
    }

    @Test(arguments: 0...9)
    func zlibStreamsInflateWithLibdeflate(_ level: Int) throws {
        var compressor = try ZlibCompressor(level: level)
        let libdeflate = LibdeflateDecompressor()
        for (name, pieces) in Self.corpus {
            for piece in pieces {
                let stream = compressor.compress(piece)
                let restored = try libdeflate.decompress(stream, maxOutputSize: piece.count)
                #expect(sameBytes(restored, piece), "\(name), \(piece.count) bytes at level \(level)")
            }
        }
    }

    @Test func levelsTradeSpeedForSizeLikeZlib() throws {
        // On text, libdeflate at a level is about as small as zlib at it
        // (at most 10% larger; it is usually smaller).
        let text = textLikeBytes(1 << 20, seed: 43)
        for level in [1, 2, 3, 4, 6, 9] {
            var ours = try LibdeflateCompressor(level: level)
            var reference = try ZlibCompressor(level: level)
            let size = ours.compress(text).count
            let zlibSize = reference.compress(text).count
            #expect(size < text.count / 2, "level \(level)")
            #expect(Double(size) <= Double(zlibSize) * 1.10, "level \(level): \(size) against zlib's \(zlibSize)")
        }
    }

    // MARK: Compressing with a limit

    @Test func limitRefusesStreamsThatDoNotFitAndLeavesOutputAlone() throws {
        var compressor = try LibdeflateCompressor(level: 2)
        let random = pseudoRandomBytes(count: 100_000, seed: 44)
        var output: [UInt8] = [7]
        let fitted = random.withUnsafeBytes { compressor.compress($0, appendingTo: &output, limit: random.count - 1) }
        #expect(!fitted)
        #expect(output == [7])

        let text = textLikeBytes(100_000, seed: 45)
        let fits = text.withUnsafeBytes { compressor.compress($0, appendingTo: &output, limit: text.count - 1) }
        #expect(fits)
        #expect(output[0] == 7)
        #expect(try Zlib.decompress(Array(output[1...]), maxOutputSize: text.count) == text)

        for limit in [-1, 0, 5] {
            var empty: [UInt8] = []
            #expect(!text.withUnsafeBytes { compressor.compress($0, appendingTo: &empty, limit: limit) })
            #expect(empty.isEmpty)
        }
    }

    @Test func emptyInputMakesAValidStream() throws {
        var compressor = try LibdeflateCompressor(level: 6)
        let stream = compressor.compress([])
        #expect(try Zlib.decompress(stream, maxOutputSize: 0) == [])
        #expect(try LibdeflateDecompressor().decompress(stream, maxOutputSize: 0) == [])
    }

    @Test(arguments: [-1, 13, 100])
    func invalidLevelIsRejected(_ level: Int) {
        let error = #expect(throws: CodecError.self) { _ = try LibdeflateCompressor(level: level) }
        #expect(error?.code == .invalidParameter)
    }

    // MARK: Output limits

    @Test func outputLimitIsInclusive() throws {
        let input = textLikeBytes(70_000, seed: 46)
        let stream = try Zlib.compress(input)
        let decompressor = LibdeflateDecompressor()
        #expect(try decompressor.decompress(stream, maxOutputSize: input.count) == input)
        for limit in [0, 1, 4095, 69_999] {
            let error = #expect(throws: CodecError.self) { try decompressor.decompress(stream, maxOutputSize: limit) }
            #expect(error?.code == .outputTooLarge, "limit \(limit)")
            #expect(error?.message.contains("\(limit) bytes") == true, "limit \(limit)")
        }
        // A limit far above what the stream can expand to allocates nothing
        // extra (an Int.max buffer could not be allocated at all).
        #expect(try decompressor.decompress(stream, maxOutputSize: Int.max) == input)
        #expect(try decompressor.decompress(stream, maxOutputSize: Int(UInt32.max)) == input)
    }

    @Test func shorterStreamThanTheLimitReturnsWhatItHolds() throws {
        let input = textLikeBytes(10_000, seed: 47)
        let stream = try Zlib.compress(input)
        #expect(try LibdeflateDecompressor().decompress(stream, maxOutputSize: 20_000) == input)
    }

    @Test func decompressionBombIsStoppedAtTheLimit() throws {
        // 64 MiB of zeros compress to about 64 KiB; a 1 MiB limit must stop it.
        var compressor = try LibdeflateCompressor(level: 12)
        let stream = compressor.compress([UInt8](repeating: 0, count: 64 << 20))
        #expect(stream.count < 100_000)
        let error = #expect(throws: CodecError.self) { try LibdeflateDecompressor().decompress(stream, maxOutputSize: 1 << 20) }
        #expect(error?.code == .outputTooLarge)
    }

    @Test func maximumExpansionBoundsRealStreams() throws {
        // The densest streams (long runs of one byte, at any level) stay
        // under the bound the decompressor sizes its buffer by.
        for level in [1, 6, 12] {
            var compressor = try LibdeflateCompressor(level: level)
            let stream = compressor.compress([UInt8](repeating: 0x61, count: 16 << 20))
            #expect(stream.count * LibdeflateDecompressor.maximumExpansion >= 16 << 20, "level \(level)")
        }
        var reference = try ZlibCompressor(level: 9)
        let stream = reference.compress([UInt8](repeating: 0x61, count: 16 << 20))
        #expect(stream.count * LibdeflateDecompressor.maximumExpansion >= 16 << 20)
        #expect(try LibdeflateDecompressor().decompress(stream, maxOutputSize: Int.max).count == 16 << 20)
    }

    @Test func decompressIntoBuffers() throws {
        let input = textLikeBytes(30_000, seed: 48)
        let stream = try Zlib.compress(input)
        let decompressor = LibdeflateDecompressor()
        var exact = [UInt8](repeating: 0, count: input.count)
        let written = try stream.withUnsafeBytes { stream in
            try exact.withUnsafeMutableBytes { try decompressor.decompress(stream, into: $0) }
        }
        #expect(written == input.count)
        #expect(exact == input)

        var small = [UInt8](repeating: 0, count: input.count - 1)
        let error = #expect(throws: CodecError.self) {
            try stream.withUnsafeBytes { stream in
                try small.withUnsafeMutableBytes { try decompressor.decompress(stream, into: $0) }
            }
        }
        #expect(error?.code == .outputTooLarge)

        let empty = try Zlib.compress([])
        let none = try empty.withUnsafeBytes { empty in
            try decompressor.decompress(empty, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        #expect(none == 0)
    }

    // MARK: Damaged input

    @Test func everyProperPrefixIsRejected() throws {
        // libdeflate reads zero bits past the end of its input, so a cut
        // stream is either invalid or decodes past the limit; never data.
        let input = textLikeBytes(3_000, seed: 49)
        let stream = try Zlib.compress(input)
        let decompressor = LibdeflateDecompressor()
        for length in 0..<stream.count {
            let error = #expect(throws: CodecError.self) {
                try decompressor.decompress(Array(stream.prefix(length)), maxOutputSize: input.count)
            }
            #expect(error?.code == .corrupt || error?.code == .outputTooLarge, "prefix of \(length) bytes")
        }
    }

    @Test func damagedChecksumHeaderAndTrailingBytesAreCorrupt() throws {
        let input = textLikeBytes(5_000, seed: 50)
        let stream = try Zlib.compress(input)
        let decompressor = LibdeflateDecompressor()

        var checksum = stream
        checksum[checksum.count - 1] ^= 0x01
        #expect(throws: CodecError(.corrupt, "invalid zlib data (damaged or truncated, \(stream.count) bytes of input)")) {
            try decompressor.decompress(checksum, maxOutputSize: input.count)
        }

        var header = stream
        header[0] = 0x79 // compression method 9 does not exist
        #expect(throws: CodecError.self) { try decompressor.decompress(header, maxOutputSize: input.count) }

        let trailing = stream + [0]
        let error = #expect(throws: CodecError.self) { try decompressor.decompress(trailing, maxOutputSize: input.count) }
        #expect(error == CodecError(.corrupt, "1 unexpected bytes after the end of the zlib stream"))
    }

    @Test func presetDictionaryIsRejectedByBoth() throws {
        // FDICT set (a dictionary the repository never has): 0x78 0xBB has
        // the flag and a valid header check, then a DICTID.
        let stream: [UInt8] = [0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        #expect((UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0)
        #expect(throws: CodecError.self) { try LibdeflateDecompressor().decompress(stream, maxOutputSize: 100) }
        #expect(throws: CodecError.self) { try Zlib.decompress(stream, maxOutputSize: 100) }
    }

    @Test func anyFlippedBitIsDetectedOrHarmlessAndAgreesWithZlib() throws {
        // A flipped bit fails with a typed error or decodes to the same bytes
        // (padding bits); where zlib accepts a damaged stream, libdeflate
        // returns what zlib does.
        let input = textLikeBytes(2_000, seed: 51)
        var compressor = try LibdeflateCompressor(level: 6)
        let stream = compressor.compress(input)
        let decompressor = LibdeflateDecompressor()
        let zlib = try ZlibDecompressor()
        var detected = 0
        for position in stream.indices {
            for bit in 0..<8 {
                var damaged = stream
                damaged[position] ^= UInt8(1 << bit)
                do {
                    let restored = try decompressor.decompress(damaged, maxOutputSize: input.count)
                    #expect(restored == input, "byte \(position) bit \(bit) decoded to different data")
                    #expect(try zlib.decompress(damaged, maxOutputSize: input.count) == input)
                } catch {
                    detected += 1
                }
            }
        }
        #expect(detected > stream.count * 8 * 9 / 10)
    }

    @Test func garbageIsRejected() {
        let decompressor = LibdeflateDecompressor()
        #expect(throws: CodecError.self) { try decompressor.decompress(Array("not a zlib stream".utf8), maxOutputSize: 1000) }
        #expect(throws: CodecError.self) { try decompressor.decompress([], maxOutputSize: 1000) }
        for seed in UInt64(0)..<500 {
            let garbage = pseudoRandomBytes(count: Int(seed % 97) + 2, seed: seed)
            #expect(throws: CodecError.self) { try decompressor.decompress(garbage, maxOutputSize: 1 << 16) }
        }
    }

    // MARK: Shared contexts

    @Test func decompressesFromManyTasksAtOnce() async throws {
        let inputs = (0..<32).map { textLikeBytes(50_000 + $0 * 997, seed: 60 + UInt64($0)) }
        let streams = try inputs.map { try Zlib.compress($0, level: 1) }
        let decoded = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for round in 0..<4 {
                for index in streams.indices {
                    group.addTask {
                        (index, try LibdeflateDecompressor().decompress(streams[index], maxOutputSize: 1 << 20))
                    }
                }
                _ = round
            }
            var results: [(Int, [UInt8])] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(decoded.count == 4 * inputs.count)
        for (index, bytes) in decoded {
            #expect(bytes == inputs[index], "stream \(index)")
        }
    }
}

/// Whether two byte arrays are equal (memcmp: fast in debug builds too).
func sameBytes(_ first: [UInt8], _ second: [UInt8]) -> Bool {
    first.count == second.count && first.withUnsafeBytes { first in
        second.withUnsafeBytes { second in
            guard let left = first.baseAddress, let right = second.baseAddress else { return true }
            return memcmp(left, right, first.count) == 0
        }
    }
}

/// Real files, read once: what vault backs up in practice.
enum RealData {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let all: [(String, [UInt8])] = [
        ("package sources", concatenated(under: packageRoot.appendingPathComponent("Sources").path, limit: 1 << 20)),
        ("documents under /usr/share", concatenated(under: "/usr/share/common-licenses", limit: 512 << 10)
            + concatenated(under: "/usr/share/doc", limit: 512 << 10)),
        ("compiled binary", prefix(of: "/proc/self/exe", limit: 3 << 19)),
        ("JPEG", prefix(of: packageRoot.appendingPathComponent("Fixtures/chunker/SekienAkashita.jpg").path, limit: 1 << 20)),
    ]

    /// Up to `limit` bytes of the regular files under `folder`, in path
    /// order (nothing if it does not exist).
    static func concatenated(under folder: String, limit: Int) -> [UInt8] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var paths: [String] = []
        while let path = walker.nextObject() as? String {
            paths.append(path)
        }
        var bytes: [UInt8] = []
        for path in paths.sorted() where bytes.count < limit {
            bytes += prefix(of: folder + "/" + path, limit: limit - bytes.count)
        }
        return bytes
    }

    static func prefix(of path: String, limit: Int) -> [UInt8] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
              let handle = FileHandle(forReadingAtPath: path)
        else { return [] }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: limit)).map { Array($0) } ?? []
    }
}
