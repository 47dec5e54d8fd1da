#if canImport(Glibc)
import Glibc
#endif

/// The signals vault handles, and ending the process.
package enum ProcessSignal: Sendable, CaseIterable {
    /// SIGINT (Ctrl-C).
    case interrupt
    /// SIGTERM.
    case terminate

    /// The signal's number.
    package var number: Int32 {
        switch self {
        case .interrupt: SIGINT
        case .terminate: SIGTERM
        }
    }

    /// Ignores the signal's default action, so that it can be received
    /// through a dispatch source instead of ending the process.
    package func ignoreDefaultAction() {
        signal(number, SIG_IGN)
    }

}
