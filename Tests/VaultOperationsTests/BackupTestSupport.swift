import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

/// A temporary directory removed when the test ends.
final class BackupTemporaryDirectory {
    let path: String

    init() throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var bytes = Array((base + "/vault-backup-XXXXXX").utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: bytes)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A source tree and a repository to back it up into.
struct BackupFixture {
    let directory: BackupTemporaryDirectory
    let repository: Repository
    let source: String

    init(encrypted: Bool = true) async throws {
        directory = try BackupTemporaryDirectory()
        source = directory.appending("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let storage = try LocalDirectoryStorage.create(at: directory.appending("repo"))
        // Small chunks and packs so a few megabytes make several of each.
        let config = RepositoryConfig(
            isEncrypted: encrypted, chunker: try .init(minSize: 16 << 10, avgSize: 64 << 10, maxSize: 256 << 10),
            compression: .zlib(level: 1), packSize: 1 << 20
        )
        repository = try await Repository.create(
            in: storage, config: config, password: encrypted ? "pw" : nil, kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1)
        )
    }

    /// Writes a file under the source tree, creating its folders.
    func write(_ relativePath: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: source + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func write(_ relativePath: String, _ text: String) throws {
        try write(relativePath, Array(text.utf8))
    }

    /// Backs up the source tree.
    func backup(_ kind: SnapshotKind = .incremental, configure: (inout BackupOptions) throws -> Void = { _ in }) async throws -> BackupResult {
        var options = BackupOptions(paths: [source])
        options.kind = kind
        try configure(&options)
        return try await Backup(repository: repository, options: options).run()
    }

    /// The snapshot's files: path relative to the source → contents, read back from the repository.
    func files(of snapshot: SnapshotManifest) async throws -> [String: [UInt8]] {
        let index = try await repository.loadIndex().chunks
        let root = try #require(try await repository.node(at: Array(source.utf8), root: snapshot.tree, index: index))
        var result: [String: [UInt8]] = [:]
        func walk(_ tree: Digest256, _ prefix: String) async throws {
            for node in try await repository.loadTree(tree, index: index).nodes {
                let path = prefix + node.displayName
                switch node.type {
                case .directory: try await walk(try #require(node.subtree), path + "/")
                case .file:
                    var bytes: [UInt8] = []
                    for id in node.content {
                        bytes += try await repository.loadBlob(id, at: try #require(index.location(of: .data(id))))
                    }
                    result[path] = bytes
                default: break
                }
            }
        }
        try await walk(try #require(root.subtree), "")
        return result
    }

    /// The nodes of a directory in a snapshot, by name.
    func nodes(in snapshot: SnapshotManifest, at relativePath: String = "") async throws -> [String: TreeNode] {
        let index = try await repository.loadIndex().chunks
        let path = relativePath.isEmpty ? source : source + "/" + relativePath
        let node = try #require(try await repository.node(at: Array(path.utf8), root: snapshot.tree, index: index))
        let tree = try await repository.loadTree(try #require(node.subtree), index: index)
        return Dictionary(uniqueKeysWithValues: tree.nodes.map { ($0.displayName, $0) })
    }
}
