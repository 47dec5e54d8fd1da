import Foundation
import Glibc
import Testing
import VaultTestSupport
import VaultChunker
import VaultCodecs
import VaultPOSIX
import VaultRepository
import VaultStorage
@testable import VaultOperations

/// A temporary directory for one restore test, removed when it ends.
final class RestoreScratch {
    let path: String

    init() throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("vault-restore-test-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit {
        // Read-only directories inside would stop the removal of a non-root user.
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+rwx", path]).waitUntilExit()
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Whether the tests run as root (CI does): ownership and devices are then tested too.
let restoreTestsRunAsRoot = geteuid() == 0

/// A repository in a scratch directory, with small chunks and packs so
/// that small test trees exercise many chunks and several packs.
struct RestoreFixture {
    let scratch: RestoreScratch
    let repository: Repository

    /// Chunks of 16–256 KiB.
    static let chunker = try! ChunkerParameters(minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024)

    init(encrypted: Bool = true, compression: CompressionSetting = .zlib(level: 1), packSize: Int = 1 << 20) async throws {
        scratch = try RestoreScratch()
        let storage = try LocalDirectoryStorage.create(at: scratch.appending("repo"))
        let config = RepositoryConfig(isEncrypted: encrypted, chunker: Self.chunker, compression: compression, packSize: packSize)
        repository = try await Repository.create(
            in: storage, config: config, password: encrypted ? "restore test" : nil, kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1))
    }

    /// Backs up paths; returns the new snapshot's ID.
    @discardableResult
    func backup(_ paths: [String]) async throws -> SnapshotID {
        var options = BackupOptions(paths: paths)
        options.kind = .full
        return try await Backup(repository: repository, options: options).run().snapshotID
    }

    /// Restores a snapshot (`latest`, an ID, with an optional `:PATH`) into `target`.
    func restore(
        _ snapshot: String = "latest", into target: String, interrupt: InterruptFlag = InterruptFlag(),
        _ configure: (inout RestoreOptions) throws -> Void = { _ in }, progress: @escaping @Sendable (RestoreProgress) -> Void = { _ in }
    ) async throws -> RestoreResult {
        var options = RestoreOptions(snapshot: try SnapshotReference(parsing: snapshot), target: target)
        try configure(&options)
        return try await Restore(repository: repository, options: options, interrupt: interrupt, progress: progress).run()
    }
}

// MARK: Building trees

/// File system calls for building test trees, on byte paths (names need not be UTF-8).
enum TestFiles {
    static func bytes(_ path: String) -> [UInt8] { Array(path.utf8) }

    static func join(_ path: [UInt8], _ name: [UInt8]) -> [UInt8] { path + [UInt8(ascii: "/")] + name }

    static func join(_ path: String, _ name: String) -> [UInt8] { join(bytes(path), bytes(name)) }

    static func write(_ path: [UInt8], _ contents: [UInt8], mode: UInt32 = 0o644) throws {
        let file = try FileDescriptor.open(FilePath(bytes: path), .writeOnly, options: [.create, .truncate], permissions: mode)
        try file.closeAfter { () throws(SystemError) in
            try file.writeAll(contents)
            try file.setPermissions(mode)
        }
    }

    /// Reads a whole file without changing its access time (`O_NOATIME`).
    static func read(_ path: [UInt8]) throws -> [UInt8] {
        let file = try FileDescriptor.open(FilePath(bytes: path), .readOnly, options: [.noFollow, FileDescriptor.OpenOptions(rawValue: 0o1000000)])
        return try file.closeAfter { () throws(SystemError) in
            var result: [UInt8] = []
            var offset: Int64 = 0
            while true {
                let chunk = try file.read(fromAbsoluteOffset: offset, count: 1 << 20)
                if chunk.isEmpty { return result }
                result += chunk
                offset += Int64(chunk.count)
            }
        }
    }

    static func makeDirectory(_ path: [UInt8], mode: UInt32 = 0o755) throws {
        try FileSystem.makeDirectory(FilePath(bytes: path), permissions: 0o700)
        try FileSystem.setPermissions(of: FilePath(bytes: path), to: mode)
    }

    static func symlink(_ path: [UInt8], to target: [UInt8]) throws {
        try FileSystem.makeSymbolicLink(FilePath(bytes: path), pointingTo: target)
    }

    static func link(_ existing: [UInt8], _ path: [UInt8]) throws {
        try FileSystem.makeHardLink(FilePath(bytes: existing), at: FilePath(bytes: path))
    }

    static func status(_ path: [UInt8]) throws -> FileStatus {
        try FileSystem.status(of: FilePath(bytes: path), followSymbolicLinks: false)
    }

    static func exists(_ path: [UInt8]) -> Bool {
        (try? status(path)) != nil
    }

    /// Sets both times, not following a symbolic link.
    static func setTime(_ path: [UInt8], seconds: Int64, nanoseconds: Int32) throws {
        let time = FileTime(seconds: seconds, nanoseconds: nanoseconds)
        try FileSystem.setTimes(of: FilePath(bytes: path), access: time, modification: time)
    }

    /// `lstat`'s access time, which `FileStatus` leaves out.
    static func accessTime(_ path: [UInt8]) -> FileTime? {
        var raw = stat()
        let result = FilePath(bytes: path).withCString { lstat($0, &raw) }
        guard result == 0 else { return nil }
        return FileTime(seconds: Int64(raw.st_atim.tv_sec), nanoseconds: Int32(raw.st_atim.tv_nsec))
    }

    /// The names in a directory.
    static func names(_ path: [UInt8]) throws -> Set<[UInt8]> {
        let stream = try DirectoryStream.open(FilePath(bytes: path))
        defer { try? stream.close() }
        var names: Set<[UInt8]> = []
        while let entry = try stream.next() {
            names.insert(entry.name)
        }
        return names
    }

    /// Every path below `root`, relative to it.
    static func walk(_ root: [UInt8]) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        func visit(_ relative: [UInt8]) throws {
            let path = relative.isEmpty ? root : join(root, relative)
            for name in try names(path).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let child = relative.isEmpty ? name : join(relative, name)
                result.append(child)
                if try status(join(root, child)).type == .directory {
                    try visit(child)
                }
            }
        }
        try visit([])
        return result
    }

    /// Random bytes that do not compress.
    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        pseudoRandomBytes(count: count, seed: seed)
    }

    /// Whether the file system under `directory` takes `user.*` extended
    /// attributes. Under CI (`CI=true`) it must: a test would otherwise
    /// quietly expect none.
    static func supportsUserAttributes(in directory: String) throws -> Bool {
        let probe = join(directory, ".xattr-probe")
        try write(probe, [])
        defer { try? FileSystem.removeFile(FilePath(bytes: probe)) }
        do {
            try FileSystem.setExtendedAttribute(Array("user.probe".utf8), value: [1], of: FilePath(bytes: probe))
            return true
        } catch where error.code == .notSupported {
            try #require(!runningUnderCI, "CI=true: the test file system must take user.* extended attributes")
            return false
        }
    }
}

// MARK: Comparing trees

/// Compares a restored tree with its source, entry by entry.
struct TreeComparison {
    /// Whether to compare owners (root restores them).
    var comparesOwners = restoreTestsRunAsRoot
    /// Permission bits that may differ (set-ID bits, which only root restores).
    var ignoredModeBits: UInt32 = restoreTestsRunAsRoot ? 0 : 0o6000
    /// Whether extended attributes are compared.
    var comparesAttributes = true

    /// The differences between `source` and `restored`, one line each; empty when they match.
    func differences(_ source: [UInt8], _ restored: [UInt8]) throws -> [String] {
        var differences: [String] = []
        let sourcePaths = try TestFiles.walk(source)
        let restoredPaths = try TestFiles.walk(restored)
        if sourcePaths != restoredPaths {
            let missing = Set(sourcePaths).subtracting(restoredPaths).map { String(decoding: $0, as: UTF8.self) }.sorted()
            let extra = Set(restoredPaths).subtracting(sourcePaths).map { String(decoding: $0, as: UTF8.self) }.sorted()
            differences.append("entries differ: missing \(missing), extra \(extra)")
        }
        var sourceInodes: [UInt64: UInt64] = [:]
        var restoredInodes: [UInt64: UInt64] = [:]
        for relative in sourcePaths where restoredPaths.contains(relative) {
            let name = String(decoding: relative, as: UTF8.self)
            let from = TestFiles.join(source, relative)
            let to = TestFiles.join(restored, relative)
            let a = try TestFiles.status(from)
            let b = try TestFiles.status(to)
            func differ<T: Equatable>(_ what: String, _ x: T, _ y: T) {
                if x != y { differences.append("\(name): \(what) \(x) != \(y)") }
            }
            differ("type", a.type, b.type)
            guard a.type == b.type else { continue }
            differ("mtime", a.modificationTime, b.modificationTime)
            if a.type == .regular || a.type == .symbolicLink {
                differ("atime (= mtime)", a.modificationTime, TestFiles.accessTime(to))
            }
            if a.type != .symbolicLink {
                differ("mode", String(a.permissions & ~ignoredModeBits, radix: 8), String(b.permissions, radix: 8))
            }
            if comparesOwners {
                differ("owner", "\(a.userID):\(a.groupID)", "\(b.userID):\(b.groupID)")
            }
            switch a.type {
            case .regular:
                differ("size", a.size, b.size)
                if try TestFiles.read(from) != TestFiles.read(to) {
                    differences.append("\(name): contents differ")
                }
                differ("link count", a.linkCount, b.linkCount)
                if a.linkCount > 1 {
                    if let known = sourceInodes[a.inode], known != b.inode {
                        differences.append("\(name): not a hard link of its group")
                    }
                    if let known = restoredInodes[b.inode], known != a.inode {
                        differences.append("\(name): hard-linked to a file of another group")
                    }
                    sourceInodes[a.inode] = b.inode
                    restoredInodes[b.inode] = a.inode
                }
            case .symbolicLink:
                differ("link target", try FileSystem.linkTarget(of: FilePath(bytes: from)), try FileSystem.linkTarget(of: FilePath(bytes: to)))
            case .characterDevice, .blockDevice:
                differ("device", a.specialDevice, b.specialDevice)
            default:
                break
            }
            if comparesAttributes {
                let x = try FileSystem.extendedAttributes(of: FilePath(bytes: from)).map { "\(String(decoding: $0.name, as: UTF8.self))=\($0.value)" }.sorted()
                let y = try FileSystem.extendedAttributes(of: FilePath(bytes: to)).map { "\(String(decoding: $0.name, as: UTF8.self))=\($0.value)" }.sorted()
                differ("extended attributes", x, y)
            }
        }
        return differences
    }
}

// MARK: Crafted repositories

/// Builds snapshots by hand, for trees no backup would write.
struct CraftedSnapshot {
    let repository: Repository

    /// Stores blobs as they are (tree bytes need not decode).
    func store(_ blobs: [(bytes: [UInt8], type: BlobType)]) async throws -> [Digest256] {
        var writer = RepositoryWriter(repository: repository, index: try await repository.loadIndex().chunks)
        var ids: [Digest256] = []
        for blob in blobs {
            ids.append(try await writer.add(blob.bytes, type: blob.type).id)
        }
        try await writer.flush()
        return ids
    }

    /// Saves a snapshot whose root tree is `root`.
    func save(root: Digest256) async throws -> SnapshotID {
        let manifest = SnapshotManifest(
            time: .now(), host: "crafted", user: "test", paths: ["/"], tags: [], kind: .full, parent: nil, base: nil, tree: root,
            incomplete: false, summary: SnapshotSummary(), program: "test")
        return try await repository.saveSnapshot(manifest)
    }

    /// A file node with contents stored as one chunk.
    func file(_ name: String, _ contents: [UInt8], mode: UInt32 = 0o644) async throws -> TreeNode {
        var node = TreeNode(name: Array(name.utf8), type: .file)
        node.mode = mode
        node.size = UInt64(contents.count)
        node.mtime = Timestamp(nanoseconds: 1_600_000_000_000_000_000)
        node.content = contents.isEmpty ? [] : try await store([(contents, .data)])
        return node
    }

    /// A directory node for a stored tree.
    func directory(_ name: String, tree: Digest256) -> TreeNode {
        var node = TreeNode(name: Array(name.utf8), type: .directory)
        node.mode = 0o755
        node.subtree = tree
        node.mtime = Timestamp(nanoseconds: 1_600_000_000_000_000_000)
        return node
    }

    /// Stores a valid tree.
    func tree(_ nodes: [TreeNode]) async throws -> Digest256 {
        try await store([(try Tree(nodes: nodes).encoded(), .tree)])[0]
    }

    /// The bytes of a tree with one entry whose name is `name`, whatever
    /// it is: a valid tree is encoded with a placeholder of the same
    /// length, whose bytes are then replaced.
    func treeBytes(withEntryNamed name: [UInt8], like node: TreeNode) throws -> [UInt8] {
        if name.isEmpty {
            var bytes = try treeBytes(withEntryNamed: [UInt8(ascii: "Q")], like: node)
            bytes.replaceSubrange(8..<11, with: [0, 0])
            return bytes
        }
        var placeholder = node
        placeholder.name = [UInt8](repeating: UInt8(ascii: "Q"), count: name.count)
        var bytes = try Tree(nodes: [placeholder]).encoded()
        // magic (4) + count (4) + name length (2): the name starts at 10.
        let start = 10
        #expect(Array(bytes[start..<(start + name.count)]) == placeholder.name)
        bytes.replaceSubrange(start..<(start + name.count), with: name)
        return bytes
    }
}
