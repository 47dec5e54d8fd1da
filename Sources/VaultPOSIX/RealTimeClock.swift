#if canImport(Glibc)
import Glibc
#endif

/// The system's real-time clock.
package enum RealTimeClock {
    /// Now, as seconds and nanoseconds (0 ..< 10⁹) since the Unix epoch.
    package static func now() -> (seconds: Int64, nanoseconds: Int64) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int64(spec.tv_sec), Int64(spec.tv_nsec))
    }
}
