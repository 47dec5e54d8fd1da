import Testing
import VaultTestSupport

@testable import VaultChunker

@Suite("ChunkStream")
struct ChunkStreamTests {
    static let chunker = try! FastCDC.make(1000, 4096, 16384)
    static let data = SplitMix64.bytes(seed: 2024, count: 300_007)

    @Test(
        "streaming equals one-shot for every read size and short-read pattern",
        arguments: [1, 2, 3, 13, 997, 4093, 16384, 65537, 1 << 20])
    func streamingEqualsOneShot(readSize: Int) throws {
        let expected = Self.chunker.chunks(of: Self.data)
        #expect(expected.count > 20)
        #expect(try streamRanges(of: Self.data, chunker: Self.chunker, readSize: readSize) == expected)
        for limit in [1, 2, 7, 4099, 17389] {
            #expect(
                try streamRanges(
                    of: Self.data, chunker: Self.chunker, readSize: readSize,
                    readLimit: { _ in limit }) == expected,
                "reads of at most \(limit)")
        }
        var random = SplitMix64(seed: UInt64(readSize))
        let limits = (0..<4096).map { _ in Int.random(in: 1...9000, using: &random) }
        #expect(
            try streamRanges(
                of: Self.data, chunker: Self.chunker, readSize: readSize,
                readLimit: { limits[$0 % limits.count] }) == expected,
            "random short reads")
    }

    @Test("1-byte reads over the whole input")
    func oneByteReads() throws {
        let expected = Self.chunker.chunks(of: Self.data)
        #expect(
            try streamRanges(of: Self.data, chunker: Self.chunker, readSize: 8191, readLimit: { _ in 1 })
                == expected)
    }

    @Test("an empty input has no chunks, and the source is asked once")
    func emptyInput() throws {
        var calls = 0
        var stream = ChunkStream(chunker: Self.chunker) { _ in
            calls += 1
            return 0
        }
        #expect(try stream.next { _, _ in true } == nil)
        #expect(try stream.next { _, _ in true } == nil)
        #expect(calls == 1)
        #expect(stream.offset == 0)
        #expect(Self.chunker.chunks(of: []).isEmpty)
        #expect(Self.chunker.cutPoint(in: UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test("the source is not called again after it reports the end")
    func sourceNotCalledAfterEnd() throws {
        var calls = 0
        var ended = false
        var stream = ChunkStream(chunker: Self.chunker, readSize: 1000) { buffer in
            #expect(!ended, "source called after returning 0")
            calls += 1
            if calls > 3 {
                ended = true
                return 0
            }
            buffer.initializeMemory(as: UInt8.self, repeating: UInt8(calls))
            return min(buffer.count, 5000)
        }
        var total = 0
        while let count = try stream.next({ bytes, _ in bytes.count }) { total += count }
        #expect(total == 15000)
        #expect(try stream.nextRange() == nil)
        #expect(calls == 4)
    }

    @Test("an input shorter than min is one chunk; the last chunk may be shorter than min")
    func shortChunks() throws {
        let tiny = Array(Self.data.prefix(999))
        #expect(Self.chunker.chunks(of: tiny) == [0..<999])
        #expect(try streamRanges(of: tiny, chunker: Self.chunker) == [0..<999])
        #expect(Self.chunker.chunks(of: [7]) == [0..<1])
        #expect(try streamRanges(of: [7], chunker: Self.chunker) == [0..<1])

        // 16384 + 10 zeros: one maximum-size chunk, then a 10-byte chunk.
        let zeros = [UInt8](repeating: 0, count: 16394)
        #expect(Self.chunker.chunks(of: zeros) == [0..<16384, 16384..<16394])
        #expect(try streamRanges(of: zeros, chunker: Self.chunker, readSize: 5) == [0..<16384, 16384..<16394])

        // Random data: a last chunk shorter than min appears for some length.
        let all = Self.chunker.chunks(of: Self.data)
        let cut = all[5].upperBound
        let shortTail = Array(Self.data.prefix(cut + 10))
        let ranges = Self.chunker.chunks(of: shortTail)
        #expect(ranges.last == cut..<(cut + 10))
        #expect(Array(ranges.dropLast()) == Array(all.prefix(6)))
    }

    @Test("errors from the source come out of next")
    func sourceErrors() throws {
        struct ReadFailed: Error {}
        var calls = 0
        var stream = ChunkStream(chunker: Self.chunker, readSize: 1024) { buffer in
            calls += 1
            if calls == 3 { throw ReadFailed() }
            buffer.initializeMemory(as: UInt8.self, repeating: 1)
            return buffer.count
        }
        #expect(throws: ReadFailed.self) {
            while try stream.next({ _, _ in () }) != nil {}
        }
    }

    @Test("errors from the body come out of next, and the chunk is consumed")
    func bodyErrors() throws {
        struct Rejected: Error {}
        let expected = Self.chunker.chunks(of: Self.data)
        var position = 0
        var stream = ChunkStream(chunker: Self.chunker) { buffer in
            let count = min(buffer.count, Self.data.count - position)
            Self.data.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)]))
            }
            position += count
            return count
        }
        #expect(throws: Rejected.self) { try stream.next { _, _ in throw Rejected() } }
        #expect(try stream.nextRange() == expected[1])
    }

    @Test("every chunk view lies in one buffer of maxSize + readSize bytes")
    func boundedBuffer() throws {
        let readSize = 3000
        var position = 0
        var stream = ChunkStream(chunker: Self.chunker, readSize: readSize) { buffer in
            #expect(buffer.count <= 16384 + readSize)
            let count = min(buffer.count, Self.data.count - position)
            Self.data.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)]))
            }
            position += count
            return count
        }
        var lowest = UInt.max
        var highest = UInt.min
        var chunks = 0
        while try stream.next({ bytes, _ -> Void in
            let start = UInt(bitPattern: bytes.baseAddress)
            lowest = min(lowest, start)
            highest = max(highest, start + UInt(bytes.count))
        }) != nil {
            chunks += 1
        }
        #expect(chunks > 20)
        #expect(highest - lowest <= UInt(16384 + readSize))
    }
}

@Suite("ChunkStreamBuffer")
struct ChunkStreamBufferTests {
    static let chunker = try! FastCDC.make(1000, 4096, 16384)

    /// Streams `bytes` on `buffer` with reads of at most `limit` bytes; stops
    /// after `stopAfter` chunks when given (a file abandoned half read).
    static func chunks(
        of bytes: [UInt8], buffer: ChunkStreamBuffer, limit: Int = .max, stopAfter: Int? = nil
    ) throws -> [[UInt8]] {
        var position = 0
        var stream = ChunkStream(chunker: chunker, buffer: buffer) { target in
            let count = min(target.count, bytes.count - position, limit)
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<(position + count)]))
            }
            position += count
            return count
        }
        var chunks: [[UInt8]] = []
        while chunks.count < (stopAfter ?? .max), let chunk = try stream.next({ bytes, _ in Array(bytes) }) {
            chunks.append(chunk)
        }
        return chunks
    }

    @Test("streams one after another on one buffer cut exactly as each on a fresh buffer")
    func reusedBufferCutsAlike() throws {
        let shared = ChunkStreamBuffer(chunker: Self.chunker, readSize: 5000)
        // Large, tiny, empty, abandoned half way, then large again: what
        // one stream leaves in the buffer must not leak into the next.
        let inputs: [(bytes: [UInt8], stopAfter: Int?)] = [
            (SplitMix64.bytes(seed: 1, count: 120_000), nil),
            (SplitMix64.bytes(seed: 2, count: 17), nil),
            ([], nil),
            (SplitMix64.bytes(seed: 3, count: 90_000), 3),
            (SplitMix64.bytes(seed: 4, count: 70_001), nil),
            ([UInt8](repeating: 0, count: 40_000), nil),
        ]
        for (index, input) in inputs.enumerated() {
            let fresh = try Self.chunks(of: input.bytes, buffer: ChunkStreamBuffer(chunker: Self.chunker, readSize: 5000), stopAfter: input.stopAfter)
            let reused = try Self.chunks(of: input.bytes, buffer: shared, limit: 777, stopAfter: input.stopAfter)
            #expect(reused == fresh, "input \(index)")
            if input.stopAfter == nil {
                #expect(Array(reused.joined()) == input.bytes, "input \(index) comes back whole")
            }
        }
    }
}
