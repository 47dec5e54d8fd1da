import VaultPOSIX

/// Where a ``LocalDirectoryStorage`` keeps each object, relative to its root:
///
///     config
///     keys/NAME   locks/NAME   snapshots/NAME   index/NAME
///     data/XX/NAME      (XX: the first two hex digits of NAME)
///
/// Objects are written as temporary files named `.tmp-` and 16 random hex
/// digits in the object's own folder; no object name starts with `.`, so
/// no listing or read can mistake one for an object.
struct LocalDirectoryLayout: Sendable {
    /// The repository folder, absolute.
    let root: FilePath

    /// The two-digit names of the 256 `data` shard folders, `00` to `ff`.
    static let shards: [String] = (0..<256).map { value in
        let digits = Array("0123456789abcdef")
        return String([digits[value >> 4], digits[value & 15]])
    }

    /// The prefix of every temporary file name.
    static let temporaryPrefix: [UInt8] = Array(".tmp-".utf8)

    /// The folders of `kind`, relative to the root, as path components:
    /// one folder for most kinds, the 256 shards for `data`, the root itself
    /// (no components) for `config`.
    static func folders(of kind: ObjectKind) -> [[String]] {
        switch kind {
        case .config: [[]]
        case .data: shards.map { ["data", $0] }
        case .keys, .locks, .snapshots, .index: [[kind.rawValue]]
        }
    }

    /// The folder holding `name`, relative to the root, as path components.
    static func folderComponents(of name: ObjectName) -> [String] {
        switch name.kind {
        case .config: []
        case .data: ["data", String(name.name.prefix(2))]
        case .keys, .locks, .snapshots, .index: [name.kind.rawValue]
        }
    }

    /// The absolute path of a folder given by its components.
    func folder(_ components: [String]) -> FilePath {
        components.reduce(root) { $0.appending(FilePath($1)) }
    }

    /// The absolute path of the folder holding `name`.
    func folder(of name: ObjectName) -> FilePath {
        folder(Self.folderComponents(of: name))
    }

    /// The absolute path of `name`'s file.
    func path(of name: ObjectName) -> FilePath {
        folder(of: name).appending(FilePath(name.name))
    }

    /// A fresh temporary file name: `.tmp-` and 16 random hex digits.
    static func temporaryName() -> FilePath {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return FilePath(".tmp-" + String(repeating: "0", count: 16 - hex.count) + hex)
    }

    /// Whether a directory entry is a temporary file.
    static func isTemporary(_ entryName: [UInt8]) -> Bool {
        entryName.starts(with: temporaryPrefix)
    }
}
