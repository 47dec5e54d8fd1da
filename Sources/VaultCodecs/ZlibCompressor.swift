internal import CZlib

/// A reusable zlib-format (RFC 1950) compressor.
///
/// Holds one deflate stream (about 256 KiB of zlib state) and resets it
/// between messages instead of allocating it again, so keep one per worker
/// thread. Each ``compress(_:appendingTo:)`` call produces one complete,
/// independent zlib stream.
package struct ZlibCompressor: ~Copyable {
    private let stream: UnsafeMutablePointer<z_stream>

    /// The compression level, 0 (stored) to 9 (smallest).
    package let level: Int

    /// Creates a compressor.
    ///
    /// - Parameter level: 0 (no compression) to 9 (best); 1 is fastest, 6 is
    ///   zlib's default trade-off.
    /// - Throws: ``CodecError`` `.invalidParameter` for a level outside 0–9;
    ///   `.library` if zlib cannot allocate its state.
    package init(level: Int) throws(CodecError) {
        guard (0...9).contains(level) else {
            throw CodecError(.invalidParameter, "zlib compression level must be 0–9, not \(level)")
        }
        // zlib keeps a pointer back to the z_stream in its state, so the
        // stream must never move: it lives on the heap.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Window 2^15 and memLevel 8 are zlib's defaults, for which
        // compressBound (see `bound`) is a proven upper bound.
        let status = vault_deflateInit2(stream, Int32(level), MAX_WBITS, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ZlibStatus.libraryError("deflateInit2", status)
        }
        self.stream = stream
        self.level = level
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// An upper bound on the compressed size of `count` input bytes at any level.
    ///
    /// - Parameter count: The uncompressed length.
    /// - Returns: The most bytes ``compress(_:appendingTo:)`` can append for it.
    package static func bound(_ count: Int) -> Int {
        precondition(count >= 0, "negative length")
        return Int(compressBound(UInt(count)))
    }

    /// Compresses a message into one complete zlib stream appended to `output`.
    ///
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - output: Receives the stream, at most ``bound(_:)`` bytes.
    package mutating func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        let resetStatus = deflateReset(stream)
        precondition(resetStatus == Z_OK, "deflateReset failed (\(resetStatus))")

        // Deflate straight into the array's spare capacity. `bound` is a proven
        // upper bound for these stream parameters, so the first round
        // finishes; the loop only guards against that ever being wrong.
        var room = Self.bound(input.count)
        var consumed = 0
        var finished = false
        while !finished {
            output.appendBytes(upTo: room) { buffer in
                let inputPiece = min(input.count - consumed, Int(UInt32.max))
                let outputPiece = min(buffer.count, Int(UInt32.max))
                stream.pointee.next_in = input.baseAddress.map {
                    ($0 + consumed).assumingMemoryBound(to: Bytef.self)
                }
                stream.pointee.avail_in = uInt(inputPiece)
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outputPiece)
                let flush = consumed + inputPiece == input.count ? Z_FINISH : Z_NO_FLUSH
                let status = deflate(stream, flush)
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
                // Z_OK: progress, call again; Z_BUF_ERROR: no room; both go on.
                precondition(status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END,
                             "deflate failed (\(ZlibStatus.name(status)))")
                finished = status == Z_STREAM_END
                consumed += inputPiece - Int(stream.pointee.avail_in)
                return outputPiece - Int(stream.pointee.avail_out)
            }
            room = max(1 << 16, room / 2)
        }
    }

    /// Compresses a message into one complete zlib stream appended to `output`.
    ///
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - output: Receives the stream, at most ``bound(_:)`` bytes.
    package mutating func compress(_ input: [UInt8], appendingTo output: inout [UInt8]) {
        input.withUnsafeBytes { compress($0, appendingTo: &output) }
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

/// zlib status codes turned into ``CodecError``s.
enum ZlibStatus {
    static func libraryError(_ operation: String, _ status: Int32) -> CodecError {
        CodecError(.library, "zlib \(operation) failed: \(name(status))")
    }

    static func name(_ status: Int32) -> String {
        switch status {
        case Z_OK: "Z_OK"
        case Z_STREAM_END: "Z_STREAM_END"
        case Z_NEED_DICT: "Z_NEED_DICT"
        case Z_ERRNO: "Z_ERRNO"
        case Z_STREAM_ERROR: "Z_STREAM_ERROR"
        case Z_DATA_ERROR: "Z_DATA_ERROR"
        case Z_MEM_ERROR: "Z_MEM_ERROR (out of memory)"
        case Z_BUF_ERROR: "Z_BUF_ERROR"
        case Z_VERSION_ERROR: "Z_VERSION_ERROR (zlib.h and libz differ)"
        default: "status \(status)"
        }
    }
}
