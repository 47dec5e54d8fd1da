internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104) under one fixed key, safe to use from many threads.
///
/// The key is absorbed once: the SHA-256 states after the inner (key ^ ipad)
/// and outer (key ^ opad) blocks are computed at creation and never change.
/// Each call copies them into this thread's scratch digest context, so it
/// costs the hashing itself (three compressions for a 64-byte message) with
/// no allocation, no lock and no re-derivation of the key.
///
/// This is the RFC 2104 construction over OpenSSL's SHA-256; it measured
/// about a third faster than re-initialising an `EVP_MAC` context per call.
package struct HMACSHA256: Sendable {
    private let states: KeyedStates

    /// Prepares to authenticate under `key`.
    ///
    /// - Parameter key: The secret key, of any length (keys longer than the
    ///   64-byte block are hashed first, as RFC 2104 says).
    package init(key: [UInt8]) {
        states = KeyedStates(key: key)
    }

    /// Computes the authentication tag of a message.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: The 32-byte HMAC-SHA-256 tag.
    package func authenticate(_ bytes: UnsafeRawBufferPointer) -> Digest256 {
        let context = DigestScratch.context
        return withUnsafeTemporaryAllocation(byteCount: Digest256.byteCount, alignment: 8) { buffer in
            let digest = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // inner = H((K ^ ipad) || message)
            DigestScratch.load(context, from: states.inner)
            DigestScratch.finish(context, absorbing: bytes, into: digest)
            // tag = H((K ^ opad) || inner)
            DigestScratch.load(context, from: states.outer)
            DigestScratch.finish(context, absorbing: UnsafeRawBufferPointer(buffer), into: digest)
            return Digest256(bytes: UnsafeRawBufferPointer(buffer))!
        }
    }

    /// Computes the authentication tag of a message.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: The 32-byte HMAC-SHA-256 tag.
    package func authenticate(_ bytes: [UInt8]) -> Digest256 {
        bytes.withUnsafeBytes { authenticate($0) }
    }

    /// The SHA-256 states after absorbing the padded key blocks.
    private final class KeyedStates: @unchecked Sendable {
        // Written only in init; afterwards only read by EVP_MD_CTX_copy_ex,
        // which takes its source as const, so concurrent readers are safe.
        let inner: OpaquePointer
        let outer: OpaquePointer

        init(key: [UInt8]) {
            let blockSize = 64
            (inner, outer) = withUnsafeTemporaryAllocation(byteCount: blockSize, alignment: 8) { pad in
                pad.initializeMemory(as: UInt8.self, repeating: 0)
                if key.count > blockSize {
                    SHA256Hasher.hash(key).write(to: pad)
                } else {
                    key.withUnsafeBytes { pad.copyMemory(from: $0) }
                }
                for index in pad.indices { pad[index] ^= 0x36 }
                let inner = Self.state(absorbing: UnsafeRawBufferPointer(pad))
                for index in pad.indices { pad[index] ^= 0x36 ^ 0x5c }
                let outer = Self.state(absorbing: UnsafeRawBufferPointer(pad))
                OPENSSL_cleanse(pad.baseAddress, pad.count)
                return (inner, outer)
            }
        }

        deinit {
            EVP_MD_CTX_free(inner)
            EVP_MD_CTX_free(outer)
        }

        private static func state(absorbing paddedKey: UnsafeRawBufferPointer) -> OpaquePointer {
            guard let context = EVP_MD_CTX_new() else {
                fatalError("EVP_MD_CTX_new failed: out of memory")
            }
            DigestScratch.load(context, from: DigestScratch.initialSHA256)
            guard EVP_DigestUpdate(context, paddedKey.baseAddress, paddedKey.count) == 1 else {
                fatalError("EVP_DigestUpdate(SHA2-256) failed: \(OpenSSLErrors.drain())")
            }
            return context
        }
    }
}
