import VaultCodecs

/// What a blob's lengths may claim, checked before a byte of it is read or
/// a buffer for it allocated (docs/format.md, "Blobs").
///
/// Lengths come from index files and pack headers, which a damaged or forged
/// repository can make say anything up to 4 GiB; reading or inflating what
/// they claim before checking would let one crafted entry take gigabytes.
/// Two rules every writer keeps bound them:
///
/// - a data blob's plaintext is one chunk, at most the repository's
///   maximum chunk size (16 MiB at most);
/// - a stored blob is at most its plaintext plus the codec byte and the
///   sealing overhead (writers store raw when compression does not shrink).
///
/// Tree blobs have no bound but the format's (`u32`); their stored length
/// is bounded by the second rule.
package enum BlobSizeLimit {
    /// Checks a blob's claimed lengths against the repository's limits.
    ///
    /// - Parameters:
    ///   - location: Where the index or a pack header says the blob is.
    ///   - id: The blob's ID, for the message.
    ///   - maximumChunkSize: The repository's maximum chunk size.
    ///   - sealingOverhead: Bytes sealing adds (28 encrypted, 0 plain).
    /// - Throws: ``RepositoryError`` `.damaged` naming the blob and the limit.
    package static func check(
        _ location: BlobLocation, id: Digest256, maximumChunkSize: Int, sealingOverhead: Int
    ) throws(RepositoryError) {
        let rawLength = Int(location.rawLength)
        if location.type == .data, rawLength > maximumChunkSize {
            throw RepositoryError.damaged(
                "blob \(id.shortHex)", "it claims \(rawLength) bytes, more than the repository's maximum chunk size \(maximumChunkSize)")
        }
        let storedLimit = rawLength + 1 + sealingOverhead
        if Int(location.length) > storedLimit {
            throw RepositoryError.damaged(
                "blob \(id.shortHex)", "it claims \(location.length) stored bytes for \(rawLength) bytes of plaintext (at most \(storedLimit))")
        }
    }
}

extension Repository {
    /// Checks a blob's claimed lengths against this repository's limits (``BlobSizeLimit``).
    package func checkClaimedLengths(_ location: BlobLocation, id: Digest256) throws(RepositoryError) {
        try BlobSizeLimit.check(location, id: id, maximumChunkSize: config.chunker.maxSize, sealingOverhead: cipher.overhead)
    }
}
