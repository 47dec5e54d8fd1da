#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import COpenSSL

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
/// ``ForkGeneration/current`` in the child, which discards inherited batches.
final class NonceBatch {
    /// How many nonces one `RAND_bytes` call provides.
    static let count = 256

    private let storage: UnsafeMutableRawBufferPointer
    private var next: Int
    private var generation: UInt64

    init() {
        ForkGeneration.register()
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.count * AES256GCM.nonceByteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        next = storage.count
        generation = ForkGeneration.current
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
        if next == storage.count || generation != ForkGeneration.current {
            SecureRandom.fill(storage)
            next = 0
            generation = ForkGeneration.current
        }
        let source = storage.baseAddress! + next
        nonce.baseAddress!.copyMemory(from: source, byteCount: size)
        OPENSSL_cleanse(source, size)
        next += size
    }
}

/// Counts the forks this process is a child of.
enum ForkGeneration {
    /// Changes in a forked child (single-threaded at that point), never in the
    /// parent, so reading it without synchronisation is safe.
    nonisolated(unsafe) static var current: UInt64 = 0

    private static let registration: Void = {
        let status = pthread_atfork(nil, nil) { ForkGeneration.current &+= 1 }
        precondition(status == 0, "pthread_atfork failed (\(status))")
    }()

    /// Installs the fork handler (once per process).
    static func register() {
        _ = registration
    }
}
