import Glibc

/// Looks up user and group names by ID (`getpwuid_r`, `getgrgid_r`),
/// remembering the answers: a backup asks for the same few IDs many
/// thousands of times.
///
/// Not thread-safe: each task or thread keeps its own.
package final class AccountNames {
    private var users: [UInt32: String] = [:]
    private var groups: [UInt32: String] = [:]

    /// Creates an empty cache.
    package init() {}

    /// The name of user `id`, or an empty string when it has none.
    package func userName(_ id: UInt32) -> String {
        if let name = users[id] { return name }
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name: String
        if getpwuid_r(id, &record, &buffer, buffer.count, &result) == 0, result != nil, let pointer = record.pw_name {
            name = String(cString: pointer)
        } else {
            name = ""
        }
        users[id] = name
        return name
    }

    /// The name of group `id`, or an empty string when it has none.
    package func groupName(_ id: UInt32) -> String {
        if let name = groups[id] { return name }
        var record = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name: String
        if getgrgid_r(id, &record, &buffer, buffer.count, &result) == 0, result != nil, let pointer = record.gr_name {
            name = String(cString: pointer)
        } else {
            name = ""
        }
        groups[id] = name
        return name
    }
}
