/// Splits an input read from a source into FastCDC chunks, one at a time,
/// in bounded memory.
///
/// The stream works in one buffer of `maxSize + readSize` bytes, whatever
/// the size of the input, and hands each chunk to a callback as a view into
/// that buffer: no chunk is copied or allocated. When the buffered input
/// runs short, the unchunked tail moves to the front of the buffer (one
/// memmove) and the source fills the rest. Streams that run one after
/// another (the files of a backup) can share one ``ChunkStreamBuffer``
/// instead of allocating — and, at megabytes, mapping and faulting in —
/// a buffer each.
///
/// The chunks are exactly those of ``FastCDC/chunks(in:)`` on the whole
/// input: a cut point is taken from a partial buffer only when more input
/// could not move it.
///
/// ```swift
/// var stream = ChunkStream(chunker: chunker) { buffer in try file.read(into: buffer) }
/// while try stream.next({ bytes, offset in try store(bytes, at: offset) }) != nil {}
/// ```
package struct ChunkStream: ~Copyable {
    /// The read size used when none is given: 4 MiB.
    package static let defaultReadSize = 4 << 20

    /// The chunker that finds the cut points.
    package let chunker: FastCDC
    /// Offset in the input of the next chunk: the bytes chunked so far.
    package private(set) var offset = 0

    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    /// Keeps `buffer` allocated.
    private let storage: ChunkStreamBuffer
    private let buffer: UnsafeMutableRawBufferPointer
    /// Buffered, unchunked input is `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    /// Whether the source has reported the end of the input.
    private var sourceEnded = false

    /// Creates a stream over the input that `source` reads.
    ///
    /// - Parameters:
    ///   - chunker: The chunker that finds the cut points.
    ///   - readSize: How many bytes beyond `maxSize` the buffer holds; each
    ///     refill asks the source for at least this many. Must be positive.
    ///     Each refill may move and rescan up to `maxSize` bytes, so a read
    ///     size much below `maxSize` costs time (not correctness).
    ///   - source: Reads the next bytes of the input into the buffer it is
    ///     given and returns how many it read, from 1 to the buffer's size,
    ///     or 0 at the end of the input; it may read fewer bytes than asked
    ///     for. It is not called again once it has returned 0, and errors it
    ///     throws come out of ``next(_:)``.
    package init(
        chunker: FastCDC,
        readSize: Int = ChunkStream.defaultReadSize,
        source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int
    ) {
        self.init(chunker: chunker, buffer: ChunkStreamBuffer(chunker: chunker, readSize: readSize), source: source)
    }

    /// Creates a stream over the input that `source` reads, working in a
    /// buffer that other streams use before or after it.
    ///
    /// - Parameters:
    ///   - chunker: The chunker that finds the cut points; its maximum chunk
    ///     size must be the one `buffer` was made for.
    ///   - buffer: The buffer. At most one stream may use it at a time:
    ///     finish with a stream before starting the next on it.
    ///   - source: As in ``init(chunker:readSize:source:)``.
    package init(
        chunker: FastCDC,
        buffer: ChunkStreamBuffer,
        source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int
    ) {
        precondition(
            buffer.maximumChunkSize == chunker.parameters.maxSize,
            "ChunkStreamBuffer made for another maximum chunk size")
        self.chunker = chunker
        self.source = source
        self.storage = buffer
        self.buffer = buffer.bytes
    }

    /// Finds the next chunk and passes it to `body`.
    ///
    /// - Parameter body: Called with the chunk's bytes and its offset in the
    ///   input. The bytes are a view into the stream's buffer, valid only
    ///   until `body` returns: copy what must outlive the call.
    /// - Returns: What `body` returned, or `nil` at the end of the input
    ///   (at once for an empty input).
    /// - Throws: What the source or `body` throws. After an error from the
    ///   source, the stream must not be used again.
    package mutating func next<R>(
        _ body: (_ bytes: UnsafeRawBufferPointer, _ offset: Int) throws -> R
    ) throws -> R? {
        guard let length = try nextLength() else { return nil }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
        let chunkOffset = offset
        start += length
        offset += length
        return try body(chunk, chunkOffset)
    }

    /// Finds the next chunk without looking at its bytes.
    ///
    /// - Returns: The chunk's byte range in the input, or `nil` at the end
    ///   of the input.
    /// - Throws: What the source throws.
    package mutating func nextRange() throws -> Range<Int>? {
        try next { bytes, offset in offset..<(offset + bytes.count) }
    }

    /// The length of the chunk at `start`, reading more input as needed;
    /// `nil` when no input is left.
    private mutating func nextLength() throws -> Int? {
        let parameters = chunker.parameters
        while true {
            let available = end - start
            let window = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            if available >= parameters.maxSize || sourceEnded {
                return available == 0 ? nil : chunker.cutPoint(in: window)
            }
            // A cut found before the end of the buffered bytes is final:
            // up to there the scan tests the same masks as on the whole
            // input (a short window ends the strict-mask region only where
            // the window itself ends). Reaching the end proves nothing.
            let length = chunker.cutPoint(in: window)
            if length < available { return length }
            try refill()
        }
    }

    /// Moves the unchunked tail to the front of the buffer and reads until
    /// the buffer is full or the source ends.
    private mutating func refill() throws {
        let tail = end - start
        if start > 0 {
            if tail > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: tail)
            }
            start = 0
            end = tail
        }
        while !sourceEnded && end < buffer.count {
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[end...])
            let count = try source(space)
            precondition(
                count >= 0 && count <= space.count,
                "ChunkStream source returned \(count) for a buffer of \(space.count) bytes")
            if count == 0 {
                sourceEnded = true
            } else {
                end += count
            }
        }
    }
}

/// The memory a ``ChunkStream`` works in: `maxSize + readSize` bytes,
/// allocated once and reused by every stream made with it, one at a time.
package final class ChunkStreamBuffer {
    /// The maximum chunk size of the chunker it was made for.
    package let maximumChunkSize: Int
    let bytes: UnsafeMutableRawBufferPointer

    /// Allocates a buffer for streams of `chunker`.
    ///
    /// - Parameters:
    ///   - chunker: The chunker of the streams that will use it.
    ///   - readSize: How many bytes beyond `maxSize` it holds; each refill
    ///     asks the source for at least this many. Must be positive.
    package init(chunker: FastCDC, readSize: Int = ChunkStream.defaultReadSize) {
        precondition(readSize > 0, "ChunkStream read size must be positive")
        maximumChunkSize = chunker.parameters.maxSize
        bytes = .allocate(byteCount: maximumChunkSize + readSize, alignment: MemoryLayout<UInt64>.alignment)
    }

    deinit {
        bytes.deallocate()
    }
}
