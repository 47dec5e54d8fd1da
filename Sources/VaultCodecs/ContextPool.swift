
import Synchronization

/// A thread-safe free list of keyed OpenSSL contexts (or objects holding them).
///
/// Keying a context (HMAC pads, AES key schedule and GHASH tables) costs more
/// than authenticating or sealing a small message, and a context must not be
/// used by two threads at once. Each call takes an idle context (or makes a new
/// one), uses it alone, and hands it back; at most ``limit`` idle contexts are
/// kept.
final class ContextPool<Context>: @unchecked Sendable {
    private let idle: Mutex<[UnsafeContext<Context>]>
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
        var contexts: [UnsafeContext<Context>] = []
        contexts.reserveCapacity(limit)
        idle = Mutex(contexts)
    }

    deinit {
        for context in idle.withLock({ $0 }) { release(context.value) }
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
        idle.withLock { $0.popLast() }?.value ?? make()
    }

    private func giveBack(_ context: Context) {
        let limit = limit
        let kept = idle.withLock { idle in
            guard idle.count < limit else { return false }
            idle.append(UnsafeContext(value: context))
            return true
        }
        if !kept { release(context) }
    }
}

/// A context moved between threads through the pool's lock; only one
/// thread uses it at a time, which the pool guarantees.
private struct UnsafeContext<Context>: @unchecked Sendable {
    let value: Context
}
