#if canImport(Glibc)
import Glibc
#endif

/// One pointer per thread, freed by a destructor when its thread exits
/// (a `pthread_key_t`).
///
/// For caches that must not be shared between threads and must cost
/// neither a lock nor an allocation per use, such as a reusable OpenSSL
/// digest context.
package final class ThreadLocalSlot: Sendable {
    private let key: pthread_key_t

    /// Creates a slot; empty on every thread.
    ///
    /// - Parameter destructor: Called with a thread's non-nil value when
    ///   that thread exits.
    package init(destructor: @convention(c) (UnsafeMutableRawPointer?) -> Void) {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, destructor)
        precondition(status == 0, "pthread_key_create failed (\(status))")
        self.key = key
    }

    /// This thread's value, or nil before the thread stores one.
    package var value: UnsafeMutableRawPointer? {
        pthread_getspecific(key)
    }

    /// Stores this thread's value.
    package func store(_ value: UnsafeMutableRawPointer) {
        let status = pthread_setspecific(key, value)
        precondition(status == 0, "pthread_setspecific failed (\(status))")
    }
}
