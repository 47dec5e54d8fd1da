import Glibc

/// Who this process runs as, and what it runs on.
package enum ProcessIdentity {
    /// The real user ID (`getuid`).
    package static var userID: UInt32 { getuid() }

    /// The real group ID (`getgid`).
    package static var groupID: UInt32 { getgid() }

    /// The number of processors online (`sysconf(_SC_NPROCESSORS_ONLN)`),
    /// or `nil` when the system does not say.
    package static var onlineProcessors: Int? {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? Int(count) : nil
    }
}
