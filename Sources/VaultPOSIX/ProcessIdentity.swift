#if canImport(Glibc)
import Glibc
#endif

/// Who this process acts as.
package enum ProcessIdentity {
    /// The effective user ID (`geteuid`).
    package static var effectiveUserID: UInt32 { geteuid() }

    /// Whether the process acts as root (effective user ID 0): it may set
    /// owners, set-ID bits and devices.
    package static var isRoot: Bool { effectiveUserID == 0 }
}
