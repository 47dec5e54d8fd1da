#if canImport(Glibc)
import Glibc
#endif

/// Ends the process at once with `status`, running `atexit` handlers and
/// flushing C streams (`exit(3)`).
package func exitProcess(_ status: Int32) -> Never {
    exit(status)
}
