import VaultCodecs

/// The codec byte that starts every blob's sealed plaintext (docs/format.md, "Blobs").
package enum BlobCodec: UInt8, Sendable {
    /// The payload is the plaintext itself.
    case raw = 0
    /// The payload is a zlib stream.
    case zlib = 1
}

/// Turns blob plaintexts into their stored form: compress when it pays,
/// then seal. Holds a compressor (libdeflate, writing zlib streams), so
/// each worker thread owns one.
package struct BlobEncoder: ~Copyable {
    private let cipher: ObjectCipher
    private var compressor: LibdeflateCompressor?
    private var scratch: [UInt8] = []

    /// Creates an encoder for a repository's cipher and compression setting.
    package init(cipher: ObjectCipher, compression: CompressionSetting) {
        self.cipher = cipher
        switch compression {
        case .none: compressor = nil
        case .zlib(let level): compressor = try! LibdeflateCompressor(level: level)
        }
    }

    /// Bytes of a blob sampled to predict whether compression pays.
    static let sampleSize = 64 * 1024
    /// At or above this many bits per byte (order-0 entropy of the sample)
    /// compression is not tried: deflate's Huffman coding cannot gain then,
    /// and repeated strings that LZ77 could use are rare in such data.
    static let incompressibleEntropy = 7.8

    /// Whether a blob is predicted not to compress (already compressed or random data).
    static func looksIncompressible(_ plaintext: UnsafeRawBufferPointer) -> Bool {
        guard plaintext.count >= 4096 else { return false }
        let sample = UnsafeRawBufferPointer(rebasing: plaintext.prefix(sampleSize))
        return ByteEntropy.bitsPerByte(sample) >= incompressibleEntropy
    }

    /// Encodes `plaintext`, appending the stored blob to `output`.
    ///
    /// - Returns: The codec used.
    @discardableResult
    package mutating func encode(_ plaintext: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) -> BlobCodec {
        scratch.removeAll(keepingCapacity: true)
        // Grow to exactly what this blob can need (codec byte + plaintext),
        // not by doubling: the scratch stays within the largest chunk.
        scratch.reserveCapacity(plaintext.count + 1)
        var codec = BlobCodec.raw
        if compressor != nil, !plaintext.isEmpty, !Self.looksIncompressible(plaintext) {
            scratch.append(BlobCodec.zlib.rawValue)
            // Compressed only if it comes out smaller than the plaintext.
            if compressor!.compress(plaintext, appendingTo: &scratch, limit: plaintext.count - 1) {
                codec = .zlib
            } else {
                scratch.removeAll(keepingCapacity: true)
            }
        }
        if codec == .raw {
            scratch.append(BlobCodec.raw.rawValue)
            scratch.append(contentsOf: plaintext)
        }
        scratch.withUnsafeBytes { cipher.seal($0, appendingTo: &output) }
        return codec
    }
}

/// Turns stored blobs back into plaintexts and checks them against their IDs.
package struct BlobDecoder: ~Copyable {
    private let cipher: ObjectCipher
    private let identifier: BlobIdentifier
    private let decompressor = LibdeflateDecompressor()
    private let maximumRawLength: Int

    /// Creates a decoder for a repository's keys.
    ///
    /// - Parameter maximumRawLength: The largest plaintext a blob may claim
    ///   (the maximum chunk size, when only data blobs are decoded): a
    ///   larger claim is refused before anything is opened or inflated.
    package init(cipher: ObjectCipher, identifier: BlobIdentifier, maximumRawLength: Int = Int(UInt32.max)) {
        self.cipher = cipher
        self.identifier = identifier
        self.maximumRawLength = maximumRawLength
    }

    /// Decodes a stored blob and checks that its plaintext has the expected ID.
    ///
    /// - Parameters:
    ///   - stored: The blob as stored in its pack.
    ///   - id: The blob's ID.
    ///   - rawLength: The plaintext length the index records.
    /// - Throws: ``RepositoryError`` with code `.damaged`, naming the blob.
    package mutating func decode(_ stored: UnsafeRawBufferPointer, id: Digest256, rawLength: Int) throws(RepositoryError) -> [UInt8] {
        try checkLengths(stored: stored.count, id: id, rawLength: rawLength)
        return try decode(opened: try cipher.open(stored, what: "blob \(id.shortHex)"), id: id, rawLength: rawLength)
    }

    /// Decodes a stored blob held in an array.
    package mutating func decode(_ stored: [UInt8], id: Digest256, rawLength: Int) throws(RepositoryError) -> [UInt8] {
        try checkLengths(stored: stored.count, id: id, rawLength: rawLength)
        return try decode(opened: try cipher.open(stored, what: "blob \(id.shortHex)"), id: id, rawLength: rawLength)
    }

    /// Refuses claims no writer makes before opening or inflating anything
    /// (``BlobSizeLimit``): what the plaintext may grow to is bounded by them.
    private func checkLengths(stored: Int, id: Digest256, rawLength: Int) throws(RepositoryError) {
        guard rawLength >= 0, rawLength <= maximumRawLength else {
            throw RepositoryError.damaged("blob \(id.shortHex)", "it claims \(rawLength) bytes of plaintext, more than the \(maximumRawLength) allowed")
        }
        guard stored <= rawLength + 1 + cipher.overhead else {
            throw RepositoryError.damaged("blob \(id.shortHex)", "\(stored) stored bytes for \(rawLength) bytes of plaintext")
        }
    }

    private mutating func decode(opened: [UInt8], id: Digest256, rawLength: Int) throws(RepositoryError) -> [UInt8] {
        guard let codecByte = opened.first else {
            throw RepositoryError.damaged("blob \(id.shortHex)", "empty")
        }
        let plaintext: [UInt8]
        switch BlobCodec(rawValue: codecByte) {
        case .raw:
            plaintext = Array(opened[1...])
        case .zlib:
            let result = opened.withUnsafeBytes { buffer in
                Result { () throws(CodecError) in
                    try decompressor.decompress(UnsafeRawBufferPointer(rebasing: buffer[1...]), maxOutputSize: rawLength)
                }
            }
            switch result {
            case .success(let bytes): plaintext = bytes
            case .failure(let error): throw RepositoryError.damaged("blob \(id.shortHex)", error.message)
            }
        case nil:
            throw RepositoryError.damaged("blob \(id.shortHex)", "unknown codec \(codecByte)")
        }
        guard plaintext.count == rawLength else {
            throw RepositoryError.damaged("blob \(id.shortHex)", "\(plaintext.count) bytes where the index says \(rawLength)")
        }
        guard identifier.id(of: plaintext) == id else {
            throw RepositoryError.damaged("blob \(id.shortHex)", "contents do not match its ID")
        }
        return plaintext
    }
}
