import Foundation
import Glibc
import Testing
import VaultCodecs
import VaultRepository
import VaultStorage
@testable import VaultOperations

/// A temporary directory holding a source tree (`src`) and a repository
/// (`repo`), for the tests of `ls`, `diff`, `find`, `stats` and `snapshots`.
///
/// Names start with `Browse` so they cannot collide with the helpers of
/// other test files in this target.
final class BrowseFixture {
    /// The temporary directory.
    let directory: String
    /// The source tree's absolute path (`directory/src`), normalized.
    let source: String
    /// The repository in `directory/repo`.
    let repository: Repository

    /// Cheap scrypt parameters for encrypted repositories.
    static let kdf = KeyFile.ScryptParameters(n: 16, r: 8, p: 1)

    /// Creates the directory, an empty `src`, and a repository.
    ///
    /// - Parameters:
    ///   - encrypted: Whether the repository is encrypted.
    ///   - compression: How blobs are stored; `.none` makes stored sizes
    ///     predictable (plaintext + 1 codec byte in a plain repository).
    init(encrypted: Bool = false, compression: CompressionSetting = .none) async throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("vault-browse-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        let created = bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        directory = String(decoding: SourcePaths.normalize(created), as: UTF8.self)
        source = directory + "/src"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        let storage = try LocalDirectoryStorage.create(at: directory + "/repo")
        let config = RepositoryConfig(isEncrypted: encrypted, compression: compression)
        repository = try await Repository.create(in: storage, config: config, password: encrypted ? "browse" : nil, kdf: Self.kdf)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The absolute path of `relative` inside `src`.
    func path(_ relative: String) -> String {
        relative.isEmpty ? source : source + "/" + relative
    }

    /// The path of `relative` inside `src` as a snapshot stores it.
    func snapshotPath(_ relative: String) -> [UInt8] {
        Array(path(relative).utf8)
    }

    /// The number of components of `src`'s path: the directories on the way to it, and itself.
    var sourceDepth: Int { source.split(separator: "/").count }

    /// Writes a file (creating or replacing it).
    func write(_ relative: String, _ contents: String) throws {
        try write(relative, Array(contents.utf8))
    }

    /// Writes a file (creating or replacing it).
    func write(_ relative: String, _ contents: [UInt8]) throws {
        try Data(contents).write(to: URL(fileURLWithPath: path(relative)))
    }

    /// Writes a file whose name is any bytes, inside the directory `relative`.
    func write(name: [UInt8], in relative: String, _ contents: [UInt8]) throws {
        let full = Array(path(relative).utf8) + [UInt8(ascii: "/")] + name
        let descriptor = (full.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
            open($0.baseAddress!, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        }
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        _ = contents.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Makes a directory (and its parents).
    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    /// Makes a symlink at `relative` pointing to `target`.
    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(relative), withDestinationPath: target)
    }

    /// Makes `relative` another name of the file `existing`.
    func hardLink(_ relative: String, to existing: String) throws {
        guard link(path(existing), path(relative)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Removes a file or a directory with its contents.
    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    /// Changes permission bits.
    func setMode(_ relative: String, _ mode: mode_t) throws {
        guard chmod(path(relative), mode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Backs `src` (or `paths`) up.
    @discardableResult
    func backup(host: String = "browse-host", tags: [String] = [], kind: SnapshotKind = .incremental, paths: [String]? = nil) async throws -> BackupResult {
        var options = BackupOptions(paths: paths ?? [source])
        options.host = host
        options.tags = tags
        options.kind = kind
        return try await Backup(repository: repository, options: options).run()
    }

    /// Every snapshot, oldest first.
    func snapshots() async throws -> [(id: SnapshotID, manifest: SnapshotManifest)] {
        try await repository.snapshots()
    }

    /// A tree cache over the current index.
    func trees(capacity: Int = 4096) async throws -> TreeCache {
        TreeCache(repository: repository, index: try await repository.loadIndex().chunks, capacity: capacity)
    }

    /// The entry `SNAPSHOT[:PATH]` names.
    func locate(_ reference: String) async throws -> SnapshotLocation {
        try await SnapshotLocation(try SnapshotReference(parsing: reference), in: try await snapshots(), trees: try await trees())
    }

    /// The entry for `relative` inside `src` in a snapshot.
    func locate(_ snapshot: SnapshotID, _ relative: String = "") async throws -> SnapshotLocation {
        try await locate(snapshot.hex + ":" + path(relative))
    }
}

