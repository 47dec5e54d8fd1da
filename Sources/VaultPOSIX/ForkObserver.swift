#if canImport(Glibc)
import Glibc
#endif

/// Counts the forks this process is a child of, for state that a forked
/// child must not reuse (random nonces drawn by the parent).
package enum ForkObserver {
    /// Bumped in a forked child (single-threaded at that point), never in
    /// the parent, so reading it without synchronisation is safe.
    nonisolated(unsafe) package private(set) static var generation: UInt64 = 0

    private static let registration: Void = {
        let status = pthread_atfork(nil, nil) { ForkObserver.recordFork() }
        precondition(status == 0, "pthread_atfork failed (\(status))")
    }()

    /// What the fork handler does in a child; tests call it to act out a fork.
    package static func recordFork() {
        generation &+= 1
    }

    /// Installs the fork handler (once per process; later calls do nothing).
    package static func start() {
        _ = registration
    }
}
