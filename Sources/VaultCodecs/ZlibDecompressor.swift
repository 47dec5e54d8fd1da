internal import CZlib

/// A reusable zlib-format (RFC 1950) decompressor with an output limit.
///
/// Holds one inflate stream and resets it between messages instead of
/// allocating it again, so keep one per worker thread. Each call decodes
/// exactly one complete zlib stream; bytes after its end are an error.
package struct ZlibDecompressor: ~Copyable {
    private let stream: UnsafeMutablePointer<z_stream>

    /// Creates a decompressor.
    ///
    /// - Throws: ``CodecError`` `.library` if zlib cannot allocate its state.
    package init() throws(CodecError) {
        // zlib keeps a pointer back to the z_stream in its state, so the
        // stream must never move: it lives on the heap.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = vault_inflateInit2(stream, MAX_WBITS)
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ZlibStatus.libraryError("inflateInit2", status)
        }
        self.stream = stream
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses one zlib stream whose decompressed size is unknown.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - maxOutputSize: The most bytes the caller accepts.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError`` `.outputTooLarge` when the stream decodes to
    ///   more than `maxOutputSize` bytes; `.corrupt` for invalid data, a
    ///   checksum mismatch or bytes after the stream's end; `.truncated` when
    ///   the input ends before the stream does.
    package func decompress(_ input: UnsafeRawBufferPointer, maxOutputSize: Int) throws(CodecError) -> [UInt8] {
        precondition(maxOutputSize >= 0, "negative output limit")
        try reset()
        // Inflate straight into the array's spare capacity, starting from a
        // guess that fits typical ratios and doubling (up to the limit).
        var output: [UInt8] = []
        output.reserveCapacity(min(maxOutputSize, max(input.count.multipliedReportingOverflow(by: 4).partialValue, 4096)))
        var consumed = 0
        while true {
            let room = min(maxOutputSize - output.count, max(output.capacity - output.count, output.count, 4096))
            var step = Step.needsRoom
            try output.appendBytes(upTo: room) { (buffer) throws(CodecError) in
                var produced = 0
                step = try inflate(input, consumed: &consumed, into: buffer, produced: &produced)
                return produced
            }
            if step == .finished {
                return output
            }
            if output.count == maxOutputSize {
                // Full at the limit: fine only if the stream ends right here.
                try finishAtLimit(input, consumed: consumed, limit: maxOutputSize)
                return output
            }
        }
    }

    /// Decompresses one zlib stream whose decompressed size is unknown.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - maxOutputSize: The most bytes the caller accepts.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError``, as for ``decompress(_:maxOutputSize:)-(UnsafeRawBufferPointer,_)``.
    package func decompress(_ input: [UInt8], maxOutputSize: Int) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { input in
            Result { () throws(CodecError) in try decompress(input, maxOutputSize: maxOutputSize) }
        }.get()
    }

    /// Decompresses one zlib stream into a caller's buffer, for when the
    /// decompressed size is known.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - output: Receives the decompressed bytes at its start.
    /// - Returns: How many bytes were written (compare with the expected size).
    /// - Throws: ``CodecError`` `.outputTooLarge` when the stream decodes to
    ///   more than `output.count` bytes; `.corrupt` or `.truncated` as for
    ///   ``decompress(_:maxOutputSize:)-(UnsafeRawBufferPointer,_)``.
    package func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        try reset()
        var consumed = 0
        var produced = 0
        switch try inflate(input, consumed: &consumed, into: output, produced: &produced) {
        case .finished:
            return produced
        case .needsRoom:
            try finishAtLimit(input, consumed: consumed, limit: output.count)
            return produced
        }
    }

    // MARK: Inflating

    private enum Step {
        /// The stream ended, checksum verified, and all input was used.
        case finished
        /// The output buffer is full and the stream has not ended yet.
        case needsRoom
    }

    private func reset() throws(CodecError) {
        let status = inflateReset(stream)
        guard status == Z_OK else { throw ZlibStatus.libraryError("inflateReset", status) }
    }

    /// Inflates from `input[consumed...]` into `output` until the stream ends
    /// or `output` is full, advancing `consumed` and `produced`.
    private func inflate(
        _ input: UnsafeRawBufferPointer,
        consumed: inout Int,
        into output: UnsafeMutableRawBufferPointer,
        produced: inout Int
    ) throws(CodecError) -> Step {
        var written = 0
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        while true {
            let inputPiece = min(input.count - consumed, Int(UInt32.max))
            let outputPiece = min(output.count - written, Int(UInt32.max))
            stream.pointee.next_in = input.baseAddress.map { ($0 + consumed).assumingMemoryBound(to: Bytef.self) }
            stream.pointee.avail_in = uInt(inputPiece)
            // inflate rejects a NULL next_out even when there is no room (it
            // writes nothing then), so an empty buffer gets a stand-in byte.
            var standIn: UInt8 = 0
            let status = withUnsafeMutablePointer(to: &standIn) { standIn in
                stream.pointee.next_out = output.baseAddress.map {
                    ($0 + written).assumingMemoryBound(to: Bytef.self)
                } ?? standIn
                stream.pointee.avail_out = uInt(outputPiece)
                return CZlib.inflate(stream, Z_NO_FLUSH)
            }
            consumed += inputPiece - Int(stream.pointee.avail_in)
            let wrote = outputPiece - Int(stream.pointee.avail_out)
            written += wrote
            produced += wrote
            switch status {
            case Z_STREAM_END:
                guard consumed == input.count else {
                    throw CodecError(.corrupt, "\(input.count - consumed) unexpected bytes after the end of the zlib stream")
                }
                return .finished
            case Z_OK, Z_BUF_ERROR:
                if written == output.count {
                    return .needsRoom
                }
                if consumed == input.count {
                    throw CodecError(.truncated, "the zlib stream ends early (\(input.count) bytes of input)")
                }
                // Progress with input and room left: go on.
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw CodecError(.corrupt, "invalid zlib data: \(message(status))")
            case Z_MEM_ERROR:
                throw ZlibStatus.libraryError("inflate", status)
            default:
                throw CodecError(.library, "zlib inflate failed: \(message(status))")
            }
        }
    }

    /// Called when the output is exactly full: succeeds only if the stream
    /// ends without producing another byte.
    private func finishAtLimit(_ input: UnsafeRawBufferPointer, consumed: Int, limit: Int) throws(CodecError) {
        var consumed = consumed
        var produced = 0
        let step: Step = try withUnsafeTemporaryAllocation(byteCount: 1, alignment: 1) { (extra) throws(CodecError) in
            try inflate(input, consumed: &consumed, into: extra, produced: &produced)
        }
        if step == .needsRoom || produced > 0 {
            throw CodecError(.outputTooLarge, "the zlib stream decodes to more than the \(limit) bytes allowed")
        }
    }

    private func message(_ status: Int32) -> String {
        if let message = stream.pointee.msg {
            return String(cString: message)
        }
        return ZlibStatus.name(status)
    }
}
