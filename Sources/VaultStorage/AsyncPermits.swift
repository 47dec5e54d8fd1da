import Synchronization

/// A counting semaphore for tasks: at most ``total`` holders at once,
/// waiters resumed in the order they came.
///
/// A waiting task that is cancelled keeps waiting for its permit (the
/// calls it guards are short); it is not lost or double-counted.
package final class AsyncPermits: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }

    /// How many holders may run at once.
    package let total: Int
    private let state: Mutex<State>

    /// Creates permits.
    package init(_ total: Int) {
        self.total = max(1, total)
        self.state = Mutex(State(available: max(1, total)))
    }

    /// Runs `body` holding one permit.
    package func with<T>(_ body: () async throws(StorageError) -> T) async throws(StorageError) -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let acquired = state.withLock { state in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.head < state.waiters.count else {
                state.available += 1
                return nil
            }
            let next = state.waiters[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.waiters.count {
                state.waiters.removeFirst(state.head)
                state.head = 0
            }
            return next
        }
        next?.resume()
    }
}
