internal import COpenSSL
internal import VaultPOSIX

/// Random 96-bit GCM nonces, drawn from OpenSSL's generator a few hundred at
/// a time.
///
/// `RAND_bytes` costs about 0.9 µs per call whatever the length (a fifth of
/// sealing 16 KiB), so nonces are drawn in batches of ``count``; each nonce
/// is still 96 independent random bits, handed out once and wiped from the
/// batch. A batch is owned by one pooled sealing context, so it needs no lock.
///
/// A forked child inherits a copy of every batch, and parent and child would
/// then hand out the same nonces; a `pthread_atfork` handler bumps
/// ``ForkObserver/generation`` in the child, which discards inherited batches.
final class NonceBatch {
    /// How many nonces one `RAND_bytes` call provides.
    static let count = 256

    private let storage: UnsafeMutableRawBufferPointer
    private var next: Int
    private var generation: UInt64

    init() {
        ForkObserver.start()
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.count * AES256GCM.nonceByteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        next = storage.count
        generation = ForkObserver.generation
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// How many nonces the current batch still holds (0 before the first draw).
    var remainingCount: Int {
        (storage.count - next) / AES256GCM.nonceByteCount
    }

    /// Writes a fresh nonce into `nonce` (12 bytes).
    @inline(__always)
    func fill(_ nonce: UnsafeMutableRawBufferPointer) {
        let size = AES256GCM.nonceByteCount
        precondition(nonce.count == size)
        if next == storage.count || generation != ForkObserver.generation {
            SecureRandom.fill(storage)
            next = 0
            generation = ForkObserver.generation
        }
        let source = storage.baseAddress! + next
        nonce.baseAddress!.copyMemory(from: source, byteCount: size)
        OPENSSL_cleanse(source, size)
        next += size
    }
}
