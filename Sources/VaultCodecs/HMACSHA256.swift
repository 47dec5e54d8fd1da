internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104) under one fixed key, safe to use from many threads.
///
/// The key is absorbed once into a template context; each call takes a keyed
/// context from a small pool and only re-initialises it, so the per-call cost
/// is the hashing itself plus a lock, not the key schedule.
package struct HMACSHA256: Sendable {
    private let storage: Storage

    /// Prepares to authenticate under `key`.
    ///
    /// - Parameter key: The secret key, of any length (RFC 2104 hashes keys
    ///   longer than 64 bytes first).
    package init(key: [UInt8]) {
        storage = Storage(key: key)
    }

    /// Computes the authentication tag of a message.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: The 32-byte HMAC-SHA-256 tag.
    package func authenticate(_ bytes: UnsafeRawBufferPointer) -> Digest256 {
        storage.pool.withContext { context in
            // A NULL key re-initialises the context with the key it already has.
            guard EVP_MAC_init(context, nil, 0, nil) == 1 else {
                fatalError("EVP_MAC_init(HMAC) failed: \(OpenSSLErrors.drain())")
            }
            if let base = bytes.baseAddress, bytes.count > 0 {
                guard EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
                    fatalError("EVP_MAC_update(HMAC) failed: \(OpenSSLErrors.drain())")
                }
            }
            return withUnsafeTemporaryAllocation(byteCount: Digest256.byteCount, alignment: 8) { buffer in
                var length = 0
                guard EVP_MAC_final(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                    &length, buffer.count) == 1,
                      length == Digest256.byteCount
                else {
                    fatalError("EVP_MAC_final(HMAC) failed: \(OpenSSLErrors.drain())")
                }
                return Digest256(bytes: UnsafeRawBufferPointer(buffer))!
            }
        }
    }

    /// Computes the authentication tag of a message.
    ///
    /// - Parameter bytes: The message.
    /// - Returns: The 32-byte HMAC-SHA-256 tag.
    package func authenticate(_ bytes: [UInt8]) -> Digest256 {
        bytes.withUnsafeBytes { authenticate($0) }
    }

    /// The keyed template context and the pool of its copies.
    private final class Storage: @unchecked Sendable {
        // Only read (duplicated) after init; EVP_MAC_CTX_dup takes a const source.
        let template: OpaquePointer
        let pool: ContextPool

        init(key: [UInt8]) {
            guard let template = EVP_MAC_CTX_new(OpenSSLAlgorithms.hmac) else {
                fatalError("EVP_MAC_CTX_new(HMAC) failed: \(OpenSSLErrors.drain())")
            }
            // OpenSSL rejects a NULL key pointer even for an empty key.
            let keyed = key.withUnsafeBufferPointer { key in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { placeholder in
                    vault_hmac_sha256_init(template, key.baseAddress ?? UnsafePointer(placeholder.baseAddress!), key.count)
                }
            }
            guard keyed == 1 else {
                fatalError("EVP_MAC_init(HMAC-SHA2-256) failed: \(OpenSSLErrors.drain())")
            }
            self.template = template
            pool = ContextPool(
                make: {
                    guard let copy = EVP_MAC_CTX_dup(template) else {
                        fatalError("EVP_MAC_CTX_dup failed: \(OpenSSLErrors.drain())")
                    }
                    return copy
                },
                release: { EVP_MAC_CTX_free($0) }
            )
        }

        deinit {
            EVP_MAC_CTX_free(template)
        }
    }
}
