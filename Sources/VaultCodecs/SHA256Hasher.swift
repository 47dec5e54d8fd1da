internal import COpenSSL

/// SHA-256 (FIPS 180-4), one-shot or streaming, backed by OpenSSL's EVP layer.
///
/// Stream with an instance — `update` any number of times, then `finalize`
/// once — or hash a whole buffer with ``hash(_:)-(UnsafeRawBufferPointer)``.
/// An instance owns one OpenSSL digest context; it is not copyable, so the
/// context has exactly one owner and is freed with it.
package struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    /// Starts an empty hash.
    package init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        guard EVP_DigestInit_ex2(context, OpenSSLAlgorithms.sha256, nil) == 1 else {
            fatalError("EVP_DigestInit_ex2(SHA2-256) failed: \(OpenSSLErrors.drain())")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds more bytes into the hash.
    ///
    /// - Parameter bytes: The next bytes of the message, of any length.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            fatalError("EVP_DigestUpdate(SHA2-256) failed: \(OpenSSLErrors.drain())")
        }
    }

    /// Feeds more bytes into the hash.
    ///
    /// - Parameter bytes: The next bytes of the message, of any length.
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Finishes the hash.
    ///
    /// - Returns: The digest of every byte fed to ``update(_:)-(UnsafeRawBufferPointer)``.
    package consuming func finalize() -> Digest256 {
        withUnsafeTemporaryAllocation(byteCount: Digest256.byteCount, alignment: 8) { buffer in
            var length: UInt32 = 0
            guard EVP_DigestFinal_ex(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1,
                  length == UInt32(Digest256.byteCount)
            else {
                fatalError("EVP_DigestFinal_ex(SHA2-256) failed: \(OpenSSLErrors.drain())")
            }
            return Digest256(bytes: UnsafeRawBufferPointer(buffer))!
        }
    }

    /// Hashes a whole buffer in one call.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: Its SHA-256 digest.
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest256 {
        // This thread's scratch context, reset by copying a fresh state into
        // it: no allocation, no lock.
        let context = DigestScratch.context
        DigestScratch.load(context, from: DigestScratch.initialSHA256)
        return withUnsafeTemporaryAllocation(byteCount: Digest256.byteCount, alignment: 8) { buffer in
            DigestScratch.finish(context, absorbing: bytes, into: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return Digest256(bytes: UnsafeRawBufferPointer(buffer))!
        }
    }

    /// Hashes a whole array in one call.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: Its SHA-256 digest.
    package static func hash(_ bytes: [UInt8]) -> Digest256 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
