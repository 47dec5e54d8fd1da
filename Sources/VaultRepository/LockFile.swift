import VaultPOSIX

/// A lock file's contents (docs/format.md, "Locks").
package struct LockFile: Sendable, Codable, Hashable {
    /// When the lock was written or last refreshed.
    package var time: Timestamp
    /// Whether the lock excludes every other lock.
    package var exclusive: Bool
    /// The host holding the lock.
    package var host: String
    /// The process holding the lock.
    package var pid: Int32
    /// The user holding the lock.
    package var user: String

    /// A lock older than this without refresh is stale.
    package static let staleAfterNanoseconds: Int64 = 30 * 60 * 1_000_000_000
    /// How often a holder refreshes its lock.
    package static let refreshIntervalNanoseconds: Int64 = 5 * 60 * 1_000_000_000

    /// Creates a lock description.
    package init(time: Timestamp, exclusive: Bool, host: String, pid: Int32, user: String) {
        self.time = time
        self.exclusive = exclusive
        self.host = host
        self.pid = pid
        self.user = user
    }

    /// Whether the lock no longer counts: too old, or its process on this host is gone.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - localHost: This host's name.
    package func isStale(now: Timestamp, localHost: String) -> Bool {
        if now.nanoseconds(since: time) > Self.staleAfterNanoseconds {  // saturating: a lock may claim any time
            return true
        }
        if host == localHost, ProcessIdentity.isGone(pid) {
            return true
        }
        return false
    }

    /// Whether this lock and `other` cannot be held at once.
    package func conflicts(with other: LockFile) -> Bool {
        exclusive || other.exclusive
    }

    /// A one-line description for messages.
    package var summary: String {
        "\(exclusive ? "exclusive" : "shared") lock by \(user)@\(host) (pid \(pid)) since \(time)"
    }
}
