import Foundation
import VaultTestSupport
import Testing

/// Makes a folder read-only for the vault processes a test runs, the way
/// a write-protected drive is: as root, a read-only bind mount of the
/// folder onto itself (root ignores permissions); where mounting is not
/// allowed, the folder's write permissions are removed and vault runs as
/// `nobody` through `setpriv`; as an ordinary user, only the permissions.
///
/// Undone when the value is released.
final class ReadOnlyFolder {
    let path: String
    /// How vault must be run to see the folder read-only.
    let vault: VaultProcess
    /// How the folder was made read-only, for messages.
    let method: String
    private let mounted: Bool

    init(_ path: String, vault: VaultProcess) throws {
        self.path = path
        if geteuid() != 0 {
            try Self.run("/bin/chmod", ["-R", "a-w", path])
            self.vault = vault
            method = "permissions"
            mounted = false
        } else if (try? Self.run("/usr/bin/mount", ["--bind", path, path])) != nil {
            do {
                try Self.run("/usr/bin/mount", ["-o", "remount,ro,bind", path])
            } catch {
                _ = try? Self.run("/usr/bin/umount", [path])
                throw error
            }
            self.vault = vault
            method = "read-only bind mount"
            mounted = true
        } else {
            // Readable by everyone (down from /), writable by no one; vault runs as nobody.
            var folder = URL(fileURLWithPath: path)
            while folder.path != "/" {
                _ = try? Self.run("/bin/chmod", ["a+x", folder.path])
                folder.deleteLastPathComponent()
            }
            try Self.run("/bin/chmod", ["-R", "a+rX,a-w", path])
            self.vault = vault.asUser(65534)
            method = "permissions, as nobody"
            mounted = false
        }
        #expect(access(path, W_OK) != 0 || geteuid() == 0, "\(path) is still writable")
    }

    deinit {
        if mounted {
            _ = try? Self.run("/usr/bin/umount", [path])
        } else {
            _ = try? Self.run("/bin/chmod", ["-R", "u+w", path])
        }
    }

    /// A folder any user may write to, for what vault writes (a restore target, a mirror).
    static func writableByAll(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try run("/bin/chmod", ["a+rwx", path])
        return path
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments) failed"])
        }
        return 0
    }
}
