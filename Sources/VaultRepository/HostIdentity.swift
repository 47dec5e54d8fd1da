import VaultPOSIX

/// The host name and user name recorded in snapshots, keys and locks.
package enum HostIdentity {
    /// This machine's host name.
    package static var hostName: String {
        ProcessIdentity.hostName
    }

    /// The current user's name, or the numeric user ID when it has no name.
    package static var userName: String {
        let uid = ProcessIdentity.userID
        let name = AccountNames().userName(uid)
        return name.isEmpty ? String(uid) : name
    }

    /// This process's ID.
    package static var processID: Int32 { ProcessIdentity.processID }
}
