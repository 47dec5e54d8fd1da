internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
package enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// - Parameter count: How many bytes; must not be negative.
    /// - Returns: The random bytes.
    package static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Overwrites a buffer with random bytes.
    ///
    /// A failing random generator means the system is broken, and continuing
    /// would produce predictable keys and nonces, so it stops the process.
    ///
    /// - Parameter buffer: The bytes to overwrite.
    package static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard var base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let piece = min(remaining, 1 << 30)
            guard RAND_bytes(base, Int32(piece)) == 1 else {
                fatalError("RAND_bytes failed; refusing to continue without secure randomness: \(OpenSSLErrors.drain())")
            }
            base += piece
            remaining -= piece
        }
    }
}
