#if canImport(Glibc)
import Glibc
#endif

/// Who and where this process is, and what it runs on.
package enum ProcessIdentity {
    /// This machine's host name, or "localhost" when it has none.
    package static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The real user ID (`getuid`).
    package static var userID: UInt32 { getuid() }

    /// The real group ID (`getgid`).
    package static var groupID: UInt32 { getgid() }

    /// The effective user ID (`geteuid`).
    package static var effectiveUserID: UInt32 { geteuid() }

    /// Whether the process acts as root (effective user ID 0): it may set
    /// owners, set-ID bits and devices.
    package static var isRoot: Bool { effectiveUserID == 0 }

    /// This process's ID.
    package static var processID: Int32 { getpid() }

    /// The number of processors online (`sysconf(_SC_NPROCESSORS_ONLN)`),
    /// or `nil` when the system does not say.
    package static var onlineProcessors: Int? {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? Int(count) : nil
    }

    /// Whether no process with ID `pid` exists on this host (`kill(pid, 0)`
    /// fails with ESRCH). A process that exists but belongs to another
    /// user counts as existing.
    package static func isGone(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
