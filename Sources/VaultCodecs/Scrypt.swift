internal import COpenSSL

/// The scrypt password-based key derivation function (RFC 7914), via
/// OpenSSL's `SCRYPT` KDF.
package enum Scrypt {
    /// The most memory one derivation may use, 2 GiB: enough for N = 2^20
    /// with r = 8, and a bound on what a hostile parameter set can demand.
    package static let maximumMemory: UInt64 = 2 << 30

    /// Derives a key from a password.
    ///
    /// Memory use is about `128 * r * (N + p)` bytes; N = 2^17, r = 8, p = 1
    /// needs 128 MiB.
    ///
    /// - Parameters:
    ///   - password: The password bytes.
    ///   - salt: A random per-repository salt.
    ///   - n: The CPU/memory cost N, a power of two greater than 1.
    ///   - r: The block size r, at least 1.
    ///   - p: The parallelisation p, at least 1.
    ///   - length: How many key bytes to derive, at least 1.
    /// - Returns: `length` derived bytes.
    /// - Throws: ``CodecError`` `.invalidParameter` for parameters outside
    ///   RFC 7914's ranges or needing more than ``maximumMemory``; `.library`
    ///   if OpenSSL fails.
    package static func deriveKey(
        password: [UInt8],
        salt: [UInt8],
        n: UInt64,
        r: UInt32,
        p: UInt32,
        length: Int
    ) throws(CodecError) -> [UInt8] {
        guard n > 1, n & (n - 1) == 0 else {
            throw CodecError(.invalidParameter, "scrypt N must be a power of two greater than 1, not \(n)")
        }
        guard r >= 1, p >= 1 else {
            throw CodecError(.invalidParameter, "scrypt r and p must be at least 1 (r = \(r), p = \(p))")
        }
        // RFC 7914: p <= (2^32 - 1) * hLen / MFLen, i.e. r * p < 2^30.
        guard UInt64(r) * UInt64(p) < 1 << 30 else {
            throw CodecError(.invalidParameter, "scrypt r * p must be below 2^30 (r = \(r), p = \(p))")
        }
        guard length >= 1 else {
            throw CodecError(.invalidParameter, "scrypt output length must be at least 1, not \(length)")
        }
        // OpenSSL allocates B (128 * r * p) and V (128 * r * (N + 2)) and
        // refuses to exceed maxmem; compute the same with overflow checks.
        let blockBytes = 128 * UInt64(r)
        let (vBlocks, overflowN) = n.addingReportingOverflow(2)
        let (vBytes, overflowV) = blockBytes.multipliedReportingOverflow(by: vBlocks)
        let (total, overflowT) = vBytes.addingReportingOverflow(blockBytes * UInt64(p))
        guard !overflowN, !overflowV, !overflowT, total <= maximumMemory else {
            throw CodecError(
                .invalidParameter,
                "scrypt with N = \(n), r = \(r), p = \(p) needs more than the \(maximumMemory >> 20) MiB allowed")
        }
        let maxMemory = total + (1 << 20)

        var failure: CodecError?
        let key = [UInt8](unsafeUninitializedCapacity: length) { output, initialized in
            let status = password.withUnsafeBufferPointer { password in
                salt.withUnsafeBufferPointer { salt in
                    vault_scrypt_derive(
                        OpenSSLAlgorithms.scrypt,
                        password.baseAddress, password.count,
                        salt.baseAddress, salt.count,
                        n, r, p, maxMemory,
                        output.baseAddress, length)
                }
            }
            if status == 1 {
                initialized = length
            } else {
                OPENSSL_cleanse(output.baseAddress, length)
                initialized = 0
                failure = OpenSSLErrors.error("scrypt (EVP_KDF_derive)")
            }
        }
        if let failure { throw failure }
        return key
    }
}
