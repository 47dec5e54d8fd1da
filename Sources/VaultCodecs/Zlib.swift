/// One-shot zlib (RFC 1950) conveniences.
///
/// Each call sets up and tears down a zlib stream (deflate's is about
/// 256 KiB); in loops, keep a ``ZlibCompressor`` or ``ZlibDecompressor``.
package enum Zlib {
    /// Compresses bytes into one zlib stream.
    ///
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - level: 0 (no compression) to 9 (best); 6 is zlib's default.
    /// - Returns: The zlib stream.
    /// - Throws: ``CodecError`` `.invalidParameter` for a level outside 0–9.
    package static func compress(_ input: [UInt8], level: Int = 6) throws(CodecError) -> [UInt8] {
        var compressor = try ZlibCompressor(level: level)
        return compressor.compress(input)
    }

    /// Decompresses one zlib stream.
    ///
    /// - Parameters:
    ///   - input: Exactly one zlib stream.
    ///   - maxOutputSize: The most bytes the caller accepts.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``CodecError`` `.outputTooLarge`, `.corrupt` or `.truncated`,
    ///   as for ``ZlibDecompressor/decompress(_:maxOutputSize:)-(UnsafeRawBufferPointer,_)``.
    package static func decompress(_ input: [UInt8], maxOutputSize: Int) throws(CodecError) -> [UInt8] {
        let decompressor = try ZlibDecompressor()
        return try decompressor.decompress(input, maxOutputSize: maxOutputSize)
    }
}
