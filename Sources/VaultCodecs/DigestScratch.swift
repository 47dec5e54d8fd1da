internal import COpenSSL
internal import VaultPOSIX


/// One reusable OpenSSL digest context per thread, for one-shot hashing.
///
/// Allocating and freeing a context per call costs about as much as hashing
/// 64 bytes. Each thread keeps its own (freed when the thread exits), so
/// one-shot calls need neither an allocation nor a lock. A caller uses the
/// context only within one synchronous call: nothing suspends or re-enters
/// while it is borrowed.
enum DigestScratch {
    /// A freshly initialised SHA-256 context; only ever read (copied from).
    nonisolated(unsafe) static let initialSHA256: OpaquePointer = {
        guard let context = EVP_MD_CTX_new(),
              EVP_DigestInit_ex2(context, OpenSSLAlgorithms.sha256, nil) == 1
        else {
            fatalError("EVP_DigestInit_ex2(SHA2-256) failed: \(OpenSSLErrors.drain())")
        }
        return context
    }()

    private static let slot = ThreadLocalSlot { context in
        EVP_MD_CTX_free(OpaquePointer(context))
    }

    /// This thread's scratch context, in whatever state its last use left it.
    @inline(__always)
    static var context: OpaquePointer {
        if let context = slot.value {
            return OpaquePointer(context)
        }
        return makeContext()
    }

    @inline(never)
    private static func makeContext() -> OpaquePointer {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        slot.store(UnsafeMutableRawPointer(context))
        return context
    }

    /// Hashes `bytes` in `context`, which must hold a digest state to continue
    /// from (copied in by the caller), and writes the 32-byte result.
    @inline(__always)
    static func finish(_ context: OpaquePointer, absorbing bytes: UnsafeRawBufferPointer,
                       into output: UnsafeMutablePointer<UInt8>) {
        var length: UInt32 = 0
        if let base = bytes.baseAddress, bytes.count > 0 {
            guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
                fatalError("EVP_DigestUpdate(SHA2-256) failed: \(OpenSSLErrors.drain())")
            }
        }
        guard EVP_DigestFinal_ex(context, output, &length) == 1, length == 32 else {
            fatalError("EVP_DigestFinal_ex(SHA2-256) failed: \(OpenSSLErrors.drain())")
        }
    }

    /// Copies a digest state into `context` (EVP_MD_CTX_copy_ex).
    @inline(__always)
    static func load(_ context: OpaquePointer, from state: OpaquePointer) {
        guard EVP_MD_CTX_copy_ex(context, state) == 1 else {
            fatalError("EVP_MD_CTX_copy_ex failed: \(OpenSSLErrors.drain())")
        }
    }
}
