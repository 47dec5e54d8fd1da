import VaultPOSIX

/// What a restore would change in its target, without changing it:
/// `vault restore --dry-run`.
package struct RestorePreview: Sendable, Hashable {
    /// What would happen to one entry.
    package enum Action: String, Sendable, Hashable, CaseIterable {
        /// Created where nothing stands.
        case write
        /// Written in place of an entry that stands there now.
        case replace
        /// Removed: not in the snapshot (`--delete`), or a temporary file
        /// an interrupted restore left.
        case delete
    }

    /// One entry of the target.
    package struct Item: Sendable, Hashable {
        /// What would happen to it.
        package var action: Action
        /// Its path in the target.
        package var path: String
        /// Whether it is a directory.
        package var isDirectory: Bool
        /// Bytes of contents a file would get (holes included); 0 for other entries.
        package var bytes: Int64

        /// Creates an item.
        package init(action: Action, path: String, isDirectory: Bool, bytes: Int64 = 0) {
            self.action = action
            self.path = path
            self.isDirectory = isDirectory
            self.bytes = bytes
        }

        /// The line printed for the user: `write PATH`, `replace PATH`, `delete PATH/`.
        package var line: String {
            "\(action.rawValue) \(path)\(isDirectory ? "/" : "")"
        }
    }

    /// The entries, by path.
    package var items: [Item] = []
    /// Entries `--delete` would remove, counting those inside removed directories.
    package var entriesDeleted = 0

    /// An empty preview.
    package init() {}

    /// How many items have this action.
    package func count(_ action: Action) -> Int {
        items.count { $0.action == action }
    }

    /// Bytes of file contents that would be written.
    package var bytesToWrite: Int64 {
        items.reduce(0) { $0 + $1.bytes }
    }
}

extension RestorePlan {
    /// What carrying out the plan would change, read from the plan and,
    /// for directories it would delete, from the target (nothing changed).
    func preview(_ cache: RestoreDirectoryCache) -> RestorePreview {
        var preview = RestorePreview()
        func add(_ replaces: Bool, _ directory: Int, _ name: [UInt8]?, isDirectory: Bool, bytes: Int64 = 0) {
            preview.items.append(.init(
                action: replaces ? .replace : .write, path: cache.displayPath(directory, name), isDirectory: isDirectory, bytes: bytes))
        }
        for created in createdDirectories {
            add(created.replaces, created.directory, nil, isDirectory: true)
        }
        for file in files {
            add(file.replaces, file.directory, file.name, isDirectory: false, bytes: file.size)
        }
        for entry in entries {
            add(entry.replaces, entry.directory, entry.node.name, isDirectory: false)
        }
        for link in links {
            add(link.replaces, link.directory, link.name, isDirectory: false)
        }
        for removal in removals where removal.reason != .inTheWay {
            preview.items.append(.init(
                action: .delete, path: cache.displayPath(removal.directory, removal.name), isDirectory: removal.isDirectory))
            if removal.reason == .extraneous {
                var count = 1
                if removal.isDirectory, let directory = try? cache.descriptor(of: removal.directory) {
                    count += (try? RestoreTarget.countEntries(inside: removal.name, in: directory)) ?? 0
                }
                preview.entriesDeleted += count
            }
        }
        preview.items.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return preview
    }
}
