internal import CLibdeflate

/// A zlib-format (RFC 1950) decompressor built on libdeflate, for streams
/// whose decompressed size is known (or bounded) in advance.
///
/// libdeflate decodes a whole buffer at a time, straight into the output,
/// and never writes past the room it is given: a stream that decodes to
/// more is an error, not a larger allocation. It accepts the streams zlib
/// accepts (and ``ZlibDecompressor`` stays the reference in tests).
///
/// Its state (about 12 KiB of decode tables) comes from a process-wide
/// pool and goes back after each call, so this value is free to create and
/// safe to use from any task.
package struct LibdeflateDecompressor: Sendable {
    /// Creates a decompressor.
    package init() {}

    /// A deflate stream expands at most 1032 times (a 258-byte match in two
    /// 1-bit codes), so this many bytes of output per input byte is a safe
    /// upper bound: a caller's larger limit never needs a larger buffer.
    package static let maximumExpansion = 1032

    /// Decompresses one zlib stream into a caller's buffer.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - output: Receives the decompressed bytes at its start.
    /// - Returns: How many bytes were written (compare with the expected size).
    /// - Throws: ``CodecError`` `.outputTooLarge` when the stream decodes to
    ///   more than `output.count` bytes; `.corrupt` for invalid, damaged or
    ///   truncated data, a checksum mismatch, or bytes after the stream's end.
    package func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        var consumed = 0
        var produced = 0
        // libdeflate wants pointers even for empty buffers; it touches
        // nothing beyond the counts it is given.
        var standIn: UInt8 = 0
        let result = withUnsafeMutableBytes(of: &standIn) { standIn in
            Self.contexts.withContext { decompressor in
                libdeflate_zlib_decompress_ex(
                    decompressor,
                    input.baseAddress ?? UnsafeRawPointer(standIn.baseAddress), input.count,
                    output.baseAddress ?? standIn.baseAddress, output.count,
                    &consumed, &produced
                )
            }
        }
        switch result {
        case LIBDEFLATE_SUCCESS:
            guard consumed == input.count else {
                throw CodecError(.corrupt, "\(input.count - consumed) unexpected bytes after the end of the zlib stream")
            }
            return produced
        case LIBDEFLATE_INSUFFICIENT_SPACE:
            throw CodecError(.outputTooLarge, "the zlib stream decodes to more than the \(output.count) bytes allowed")
        case LIBDEFLATE_BAD_DATA:
            throw CodecError(.corrupt, "invalid zlib data (damaged or truncated, \(input.count) bytes of input)")
        default:
            throw CodecError(.library, "libdeflate zlib decompression failed (result \(result.rawValue))")
        }
    }

    /// Decompresses one zlib stream of at most `maxOutputSize` bytes.
    ///
    /// The output buffer is allocated once, at the smaller of
    /// `maxOutputSize` and what the input could possibly expand to, so a
    /// hostile size claim costs no memory.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - maxOutputSize: The most bytes the caller accepts (for a blob, the
    ///     plaintext length its index records).
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError``, as for ``decompress(_:into:)``.
    package func decompress(_ input: UnsafeRawBufferPointer, maxOutputSize: Int) throws(CodecError) -> [UInt8] {
        precondition(maxOutputSize >= 0, "negative output limit")
        let (expansion, overflow) = input.count.multipliedReportingOverflow(by: Self.maximumExpansion)
        let capacity = overflow ? maxOutputSize : min(maxOutputSize, expansion)
        var failure: CodecError?
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            do throws(CodecError) {
                initialized = try decompress(input, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure {
            // Out of room below the caller's limit means the expansion
            // bound was wrong; report the limit the caller asked for.
            throw failure.code == .outputTooLarge
                ? CodecError(.outputTooLarge, "the zlib stream decodes to more than the \(maxOutputSize) bytes allowed")
                : failure
        }
        return output
    }

    /// Decompresses one zlib stream held in an array.
    ///
    /// - Throws: ``CodecError``, as for ``decompress(_:into:)``.
    package func decompress(_ input: [UInt8], maxOutputSize: Int) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { input in
            Result { () throws(CodecError) in try decompress(input, maxOutputSize: maxOutputSize) }
        }.get()
    }

    /// Idle libdeflate decompressors, shared by every caller.
    private static let contexts = ContextPool<OpaquePointer>(
        make: {
            // About 12 KiB; failing to get it is an out-of-memory crash
            // anywhere else in the program too.
            guard let decompressor = libdeflate_alloc_decompressor() else {
                fatalError("libdeflate could not allocate a decompressor (out of memory)")
            }
            return decompressor
        },
        release: { libdeflate_free_decompressor($0) }
    )
}
