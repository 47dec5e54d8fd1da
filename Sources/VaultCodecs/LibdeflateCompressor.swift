internal import CLibdeflate

/// A reusable zlib-format (RFC 1950) compressor built on libdeflate.
///
/// libdeflate compresses a whole buffer at a time, about twice as fast as
/// zlib's `deflate` at the same level and a little smaller, and writes the
/// same format: every stream it makes inflates with zlib (and
/// ``ZlibDecompressor``). Its state (a few hundred KiB of match-finder
/// tables) is allocated once, so keep one compressor per worker thread.
package struct LibdeflateCompressor: ~Copyable {
    private let compressor: OpaquePointer

    /// The compression level, 0 (stored) to 12 (smallest).
    package let level: Int

    /// The levels libdeflate accepts.
    package static let levels = 0...12

    /// Creates a compressor.
    ///
    /// - Parameter level: 0 (no compression) to 12 (smallest); 1–9 trade
    ///   speed for size like zlib's levels of the same number.
    /// - Throws: ``CodecError`` `.invalidParameter` for a level outside
    ///   0–12; `.library` if libdeflate cannot allocate its state.
    package init(level: Int) throws(CodecError) {
        guard Self.levels.contains(level) else {
            throw CodecError(.invalidParameter, "libdeflate compression level must be 0–12, not \(level)")
        }
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw CodecError(.library, "libdeflate could not allocate a compressor (out of memory)")
        }
        self.compressor = compressor
        self.level = level
    }

    deinit {
        libdeflate_free_compressor(compressor)
    }

    /// An upper bound on the compressed size of `count` input bytes, for any
    /// level.
    ///
    /// - Parameter count: The uncompressed length.
    /// - Returns: The most bytes ``compress(_:appendingTo:limit:)`` can append for it.
    package static func bound(_ count: Int) -> Int {
        precondition(count >= 0, "negative length")
        // With a NULL compressor the bound holds for every level and option.
        return libdeflate_zlib_compress_bound(nil, count)
    }

    /// Compresses a message into one complete zlib stream appended to
    /// `output`, if the stream fits in `limit` bytes.
    ///
    /// Writes straight into the array's spare capacity: no intermediate
    /// buffer. A `limit` below ``bound(_:)`` lets libdeflate give up on data
    /// that does not compress well enough.
    ///
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - output: Receives the stream; unchanged when it does not fit.
    ///   - limit: The most bytes the stream may take; `nil` for ``bound(_:)``,
    ///     which always fits.
    /// - Returns: Whether the stream fitted (always `true` without a limit).
    @discardableResult
    package mutating func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8], limit: Int? = nil) -> Bool {
        let room = min(limit ?? Int.max, Self.bound(input.count))
        // No zlib stream is shorter than its 2-byte header and 4-byte trailer.
        guard room >= 6 else { return false }
        var written = 0
        output.appendBytes(upTo: room) { buffer in
            // libdeflate reads nothing from an empty input but wants a pointer.
            withUnsafeBytes(of: UInt8(0)) { standIn in
                written = libdeflate_zlib_compress(
                    compressor,
                    input.baseAddress ?? standIn.baseAddress, input.count,
                    buffer.baseAddress, buffer.count
                )
            }
            // 0 means "did not fit"; a zlib stream is never empty.
            return written
        }
        return written > 0
    }

    /// Compresses a message into one complete zlib stream appended to `output`.
    ///
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - output: Receives the stream, at most ``bound(_:)`` bytes.
    package mutating func compress(_ input: [UInt8], appendingTo output: inout [UInt8]) {
        input.withUnsafeBytes { _ = compress($0, appendingTo: &output) }
    }

    /// Compresses a message into one complete zlib stream.
    ///
    /// - Parameter input: The bytes to compress.
    /// - Returns: The zlib stream.
    package mutating func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        compress(input, appendingTo: &output)
        return output
    }

    /// Compresses a message into one complete zlib stream.
    ///
    /// - Parameter input: The bytes to compress.
    /// - Returns: The zlib stream.
    package mutating func compress(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { compress($0) }
    }
}
