import Foundation
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository
import VaultStorage

/// One repository and several folders standing for hosts that sync a set through it.
struct SyncFixture {
    let directory: BackupTemporaryDirectory
    let repository: Repository
    let set = "docs"

    init(replicas: Int = 2) async throws {
        directory = try BackupTemporaryDirectory()
        let storage = try LocalDirectoryStorage.create(at: directory.appending("repo"))
        let config = RepositoryConfig(
            isEncrypted: false, chunker: try .init(minSize: 16 << 10, avgSize: 64 << 10, maxSize: 256 << 10),
            compression: .zlib(level: 1), packSize: 1 << 20
        )
        repository = try await Repository.create(in: storage, config: config, password: nil, kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1))
        for replica in 0..<replicas {
            try FileManager.default.createDirectory(atPath: folder(replica), withIntermediateDirectories: true)
        }
    }

    /// Replica `n`'s folder.
    func folder(_ replica: Int) -> String { directory.appending("host\(replica)") }

    /// Syncs replica `n` as host `hostN`.
    @discardableResult
    func sync(_ replica: Int, _ mode: SyncMode = .readWrite, dryRun: Bool = false) async throws -> SyncResult {
        var options = SyncOptions(name: set, directory: folder(replica))
        options.host = "host\(replica)"
        options.mode = mode
        options.dryRun = dryRun
        return try await Sync(repository: repository, options: options).run()
    }

    func write(_ replica: Int, _ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: folder(replica) + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func remove(_ replica: Int, _ path: String) throws {
        try FileManager.default.removeItem(atPath: folder(replica) + "/" + path)
    }

    func move(_ replica: Int, _ from: String, _ to: String) throws {
        try FileManager.default.moveItem(atPath: folder(replica) + "/" + from, toPath: folder(replica) + "/" + to)
    }

    func makeDirectory(_ replica: Int, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: folder(replica) + "/" + path, withIntermediateDirectories: true)
    }

    func symlink(_ replica: Int, _ path: String, _ target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: folder(replica) + "/" + path, withDestinationPath: target)
    }

    /// A folder's contents: path → file text, `/` for a directory, `->target` for a symlink.
    func contents(_ replica: Int) throws -> [String: String] {
        try Self.contents(of: folder(replica))
    }

    static func contents(of root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: absolute) {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = root + "/" + path
                let attributes = try FileManager.default.attributesOfItem(atPath: full)
                switch attributes[.type] as? FileAttributeType {
                case .typeDirectory?:
                    result[path] = "/"
                    try walk(path)
                case .typeSymbolicLink?:
                    result[path] = "->" + (try FileManager.default.destinationOfSymbolicLink(atPath: full))
                default:
                    result[path] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
                }
            }
        }
        try walk("")
        return result
    }

    /// Every file text in every snapshot of the repository.
    func historyTexts() async throws -> Set<String> {
        let index = try await repository.loadIndex().chunks
        var texts: Set<String> = []
        var seenTrees: Set<Digest256> = []
        for (_, manifest) in try await repository.snapshots() {
            var pending = [manifest.tree]
            while let id = pending.popLast() {
                guard seenTrees.insert(id).inserted else { continue }
                for node in try await repository.loadTree(id, index: index).nodes {
                    if let subtree = node.subtree { pending.append(subtree) }
                    if node.type == .file {
                        var bytes: [UInt8] = []
                        for blob in node.content {
                            bytes += try await repository.loadBlob(blob, at: try #require(index.location(of: .data(blob))))
                        }
                        texts.insert(String(decoding: bytes, as: UTF8.self))
                    }
                }
            }
        }
        return texts
    }
}
