import ArgumentParser
import Foundation
import VaultOperations
import VaultRepository

/// `vault ls`: lists what a snapshot holds.
struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the entries of a snapshot, one path per line.",
        discussion: """
            SNAPSHOT is 'latest', a snapshot ID or a unique prefix of one, optionally followed by ':PATH', an \
            absolute path inside the snapshot (a snapshot holds its files under their absolute paths). Without \
            PATH the listing starts at '/'.

            Like ls(1), a directory lists its entries (not itself), one level deep; --recursive lists everything \
            below it, each directory before its contents. A file, symlink or other entry lists itself.

            Every entry is printed as its full path inside the snapshot, on one line: bytes that are not valid \
            UTF-8 are printed as \\xNN, tab, newline and carriage return as \\t, \\n, \\r, other control \
            characters as \\xNN and a backslash as \\\\.

            --long adds the mode (drwxr-xr-x), owner, group, size in bytes and modification time (local time; \
            set TZ=UTC for UTC), and '-> TARGET' after a symlink.

            --json prints one JSON object per line (JSON lines) per entry, with the keys path, name, type (file, \
            dir, symlink, fifo, socket, chardev, blockdev), mode (the permission bits as a number), permissions, \
            uid, gid, user, group, size, mtime, ctime (RFC 3339, UTC), inode, device, links and, for a symlink, \
            link_target. A path or target that is not valid UTF-8 is given escaped as above, with its raw bytes \
            in base64 under path_bytes, name_bytes or link_target_bytes.

            Examples:
              vault ls -r /backups latest
              vault ls -r /backups 3f2a9c1e:/home/ada --long
              vault ls -r /backups latest:/etc --recursive --json
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var locking: LockOptions

    @Argument(help: ArgumentHelp("The snapshot, and optionally a path inside it.", valueName: "snapshot[:path]"))
    var snapshot: String

    @Flag(name: [.short, .long], help: "Show mode, owner, group, size and modification time.")
    var long = false

    @Flag(name: [.customShort("R"), .long], help: "List everything below the path, not only its entries.")
    var recursive = false

    @Flag(help: "Print one JSON object per entry, one per line.")
    var json = false

    func validate() throws {
        if long && json {
            throw ValidationError("--long and --json exclude each other")
        }
    }

    func run() async throws {
        let reference = try SnapshotReference(parsing: snapshot)
        let opened = try await repository.openRepository()
        let long = self.long
        let json = self.json
        let recursive = self.recursive
        try await opened.withLock(locking.policy) {
            let catalog = try await opened.snapshotCatalog()
            DamagedSnapshotWarning.emit(for: catalog)
            let trees = TreeCache(repository: opened, index: try await opened.loadIndex().chunks)
            let location = try await SnapshotLocation(reference, in: catalog.readable, damaged: catalog.damaged.map(\.id), trees: trees)
            try await SnapshotBrowser(trees: trees).list(location.entry, recursive: recursive) { entry in
                if json {
                    JSONLines.print(entry.jsonObject)
                } else {
                    print(long ? entry.longLine(in: .local) : entry.printablePath)
                }
            }
        }
    }
}

extension SnapshotEntry {
    /// The entry as a JSON object (see `vault ls --help` for the keys).
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "type": node.type.displayName, "mode": Int(node.mode), "permissions": node.modeString,
            "uid": Int(node.uid), "gid": Int(node.gid), "user": node.user, "group": node.group,
            "size": node.size, "mtime": node.mtime.rfc3339, "ctime": node.ctime.rfc3339,
            "inode": node.inode, "device": node.device, "links": node.links,
        ]
        Self.add(path, as: "path", to: &object)
        Self.add(node.name, as: "name", to: &object)
        if node.type == .symlink {
            Self.add(node.linkTarget, as: "link_target", to: &object)
        }
        return object
    }

    /// Adds the bytes under `key`: exact text, or escaped text and `key_bytes` in base64.
    static func add(_ bytes: [UInt8], as key: String, to object: inout [String: Any]) {
        if let exact = PrintablePath.exactString(bytes) {
            object[key] = exact
        } else {
            object[key] = PrintablePath.escape(bytes)
            object[key + "_bytes"] = Data(bytes).base64EncodedString()
        }
    }
}
