#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A thread-safe free list of keyed OpenSSL contexts (or objects holding them).
///
/// Keying a context (HMAC pads, AES key schedule and GHASH tables) costs more
/// than authenticating or sealing a small message, and a context must not be
/// used by two threads at once. Each call takes an idle context (or makes a new
/// one), uses it alone, and hands it back; at most ``limit`` idle contexts are
/// kept.
final class ContextPool<Context>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var idle: [Context] = []
    private let make: () -> Context
    private let release: (Context) -> Void
    private let limit: Int

    /// Creates an empty pool.
    ///
    /// - Parameters:
    ///   - limit: How many idle contexts to keep at most.
    ///   - make: Creates a keyed context; called when no idle one is left.
    ///   - release: Frees a context.
    init(limit: Int = 16, make: @escaping () -> Context, release: @escaping (Context) -> Void) {
        self.limit = limit
        self.make = make
        self.release = release
        mutex = UnsafeMutablePointer.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        idle.reserveCapacity(limit)
    }

    deinit {
        for context in idle { release(context) }
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with a context that no other thread uses meanwhile.
    ///
    /// - Parameter body: Uses the context; it must leave it reusable (callers
    ///   re-initialise it at the start of each use).
    /// - Returns: What `body` returns.
    @inline(__always)
    func withContext<Result: ~Copyable, Failure: Error>(
        _ body: (Context) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let context = take()
        defer { giveBack(context) }
        return try body(context)
    }

    private func take() -> Context {
        pthread_mutex_lock(mutex)
        let context = idle.popLast()
        pthread_mutex_unlock(mutex)
        return context ?? make()
    }

    private func giveBack(_ context: Context) {
        pthread_mutex_lock(mutex)
        let kept = idle.count < limit
        if kept { idle.append(context) }
        pthread_mutex_unlock(mutex)
        if !kept { release(context) }
    }
}
