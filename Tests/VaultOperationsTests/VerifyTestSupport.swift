import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

// Support for the verify tests: a small repository with several snapshots,
// packs and index files, built in a temporary directory, plus the model of
// what it holds, so tests can compute which files a given damage must name
// without asking the verifier.
//
// Names start with `Verify` so they cannot collide with other suites' helpers
// in this test module.

/// A temporary directory removed when the test ends.
final class VerifyScratchDirectory {
    let path: String

    init() throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("vault-verify-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// What a fixture directory holds: files (by contents) and subdirectories.
indirect enum VerifyFixtureContent {
    case file([UInt8])
    case directory([String: VerifyFixtureContent])
}

/// One entry of a snapshot as written, with the blobs it uses.
struct VerifyFixtureNode {
    enum Kind {
        case file(chunks: [Digest256])
        case directory(tree: Digest256, children: [VerifyFixtureNode])
    }

    var path: String
    var kind: Kind
}

/// One snapshot as written.
struct VerifyFixtureSnapshot {
    var id: SnapshotID
    var paths: [String]
    var tree: Digest256
    /// The root tree's entries, one per path, in tree (name) order.
    var roots: [VerifyFixtureNode]
}

/// A path a report should name: which snapshot, which path, file or directory.
struct VerifyExpectedPath: Hashable, CustomStringConvertible {
    var snapshot: SnapshotID
    var path: String
    var isDirectory: Bool

    init(snapshot: SnapshotID, path: String, isDirectory: Bool) {
        self.snapshot = snapshot
        self.path = path
        self.isDirectory = isDirectory
    }

    init(_ affected: VerifyAffectedPath) {
        self.init(snapshot: affected.snapshot, path: affected.path, isDirectory: affected.isDirectory)
    }

    var description: String { "\(snapshot.shortHex) \(path)\(isDirectory ? "/" : "")" }
}

/// Cheap scrypt parameters: the tests open many repositories.
let verifyTestKDF = KeyFile.ScryptParameters(n: 16, r: 8, p: 1)

/// A repository with three snapshots in a temporary directory:
///
/// 1. `/srv/projects`: `thesis.tex`, `notes.txt`, `empty`, `src/main.c`,
///    `src/lib/util.c`, `data/big.bin`, `data/small.bin`.
/// 2. `/srv/projects` (a new `thesis.tex`, an added `new.txt`, `src` and
///    `data` unchanged, so their trees are shared) and `/home/ada`
///    (`photo.jpg`, and `copy-of-main.c` with the contents of `main.c`).
/// 3. `/etc`: `hosts` and `passwd`, 1000 random bytes each (one chunk each,
///    of equal stored length, in a pack of their own).
///
/// Chunks are 8–128 KiB and packs 1 MiB, so the data spans several packs.
/// Each snapshot is written by its own writer and flushed, so each has its
/// own index file (``indexFiles``, in order).
struct VerifyFixture {
    let directory: VerifyScratchDirectory
    let storage: LocalDirectoryStorage
    let repository: Repository
    private(set) var snapshots: [VerifyFixtureSnapshot] = []
    /// The index files, in the order the snapshots wrote them.
    private(set) var indexFiles: [IndexFileID] = []

    static let password = "verify fixture password"

    init(encrypted: Bool) async throws {
        directory = try VerifyScratchDirectory()
        storage = try LocalDirectoryStorage.create(at: directory.path + "/repo")
        let config = RepositoryConfig(
            isEncrypted: encrypted, chunker: try .init(minSize: 8 << 10, avgSize: 32 << 10, maxSize: 128 << 10),
            compression: .zlib(level: 6), packSize: 1 << 20
        )
        repository = try await Repository.create(in: storage, config: config, password: encrypted ? Self.password : nil, kdf: verifyTestKDF)

        let mainC = pseudoRandomBytes(count: 200_000, seed: 2)
        let src: VerifyFixtureContent = .directory([
            "main.c": .file(mainC),
            "lib": .directory(["util.c": .file(pseudoRandomBytes(count: 150_000, seed: 3))]),
        ])
        let data: VerifyFixtureContent = .directory([
            "big.bin": .file(pseudoRandomBytes(count: 1_500_000, seed: 4)),
            "small.bin": .file(pseudoRandomBytes(count: 1000, seed: 5)),
        ])
        let notes = Array(String(repeating: "a line of notes that compresses well\n", count: 1500).utf8)
        try await addSnapshot([
            "/srv/projects": [
                "thesis.tex": .file(pseudoRandomBytes(count: 300_000, seed: 1)),
                "notes.txt": .file(notes), "empty": .file([]), "src": src, "data": data,
            ],
        ])
        try await addSnapshot([
            "/srv/projects": [
                "thesis.tex": .file(pseudoRandomBytes(count: 300_000, seed: 7)),
                "notes.txt": .file(notes), "empty": .file([]), "src": src, "data": data,
                "new.txt": .file(pseudoRandomBytes(count: 90_000, seed: 9)),
            ],
            "/home/ada": [
                "photo.jpg": .file(pseudoRandomBytes(count: 800_000, seed: 8)),
                "copy-of-main.c": .file(mainC),
            ],
        ])
        try await addSnapshot([
            "/etc": [
                "hosts": .file(pseudoRandomBytes(count: 1000, seed: 10)),
                "passwd": .file(pseudoRandomBytes(count: 1000, seed: 11)),
            ],
        ])
    }

    /// Backs up `paths` (path → directory contents) as a new snapshot with its own index file.
    mutating func addSnapshot(_ paths: [String: [String: VerifyFixtureContent]]) async throws {
        var writer = RepositoryWriter(repository: repository, index: try await repository.loadIndex().chunks)
        var leaves: [String: (Digest256, [VerifyFixtureNode])] = [:]
        for (path, contents) in paths {
            leaves[path] = try await Self.write(contents, at: path, with: &writer)
        }
        // The root tree mirrors the file system from `/`, as backup writes it.
        let (rootNodes, roots) = try await Self.hierarchy(below: "", leaves: leaves, with: &writer)
        let rootTree = try await writer.add(try Tree(nodes: rootNodes))
        try await writer.flush()
        let known = Set(indexFiles)
        indexFiles += try await repository.list(.index).compactMap { IndexFileID(hex: $0.name.name) }.filter { !known.contains($0) }
        let manifest = SnapshotManifest(
            time: Timestamp(nanoseconds: 1_764_176_523_000_000_000 + Int64(snapshots.count) * 1_000_000_000),
            host: "fixture-host", user: "fixture", paths: paths.keys.sorted(), tags: [], kind: .full,
            parent: nil, base: nil, tree: rootTree, incomplete: false, summary: SnapshotSummary(), program: "vault test"
        )
        let id = try await repository.saveSnapshot(manifest)
        snapshots.append(VerifyFixtureSnapshot(id: id, paths: manifest.paths, tree: rootTree, roots: roots))
    }

    /// The directories from `/` down to the backed-up paths: the entries of `prefix`.
    private static func hierarchy(
        below prefix: String, leaves: [String: (Digest256, [VerifyFixtureNode])], with writer: inout RepositoryWriter
    ) async throws -> ([TreeNode], [VerifyFixtureNode]) {
        var names = Set<String>()
        for path in leaves.keys where path.hasPrefix(prefix + "/") {
            names.insert(String(path.dropFirst(prefix.count + 1).split(separator: "/")[0]))
        }
        var nodes: [TreeNode] = []
        var fixtureNodes: [VerifyFixtureNode] = []
        for name in names.sorted(by: { precedes($0, $1) }) {
            let path = prefix + "/" + name
            let tree: Digest256
            let children: [VerifyFixtureNode]
            if let leaf = leaves[path] {
                (tree, children) = leaf
            } else {
                let (childNodes, childFixtures) = try await hierarchy(below: path, leaves: leaves, with: &writer)
                tree = try await writer.add(try Tree(nodes: childNodes))
                children = childFixtures
            }
            var node = TreeNode(name: Array(name.utf8), type: .directory)
            node.mode = 0o755
            node.subtree = tree
            nodes.append(node)
            fixtureNodes.append(VerifyFixtureNode(path: path, kind: .directory(tree: tree, children: children)))
        }
        return (nodes, fixtureNodes)
    }

    private static func write(
        _ contents: [String: VerifyFixtureContent], at path: String, with writer: inout RepositoryWriter
    ) async throws -> (Digest256, [VerifyFixtureNode]) {
        var nodes: [TreeNode] = []
        var children: [VerifyFixtureNode] = []
        for name in contents.keys.sorted(by: { precedes($0, $1) }) {
            let childPath = path + "/" + name
            switch contents[name]! {
            case .file(let bytes):
                var node = TreeNode(name: Array(name.utf8), type: .file)
                node.mode = 0o644
                node.size = UInt64(bytes.count)
                for range in writer.repository.chunker.chunks(of: bytes) {
                    node.content.append(try await writer.add(Array(bytes[range]), type: .data).id)
                }
                nodes.append(node)
                children.append(VerifyFixtureNode(path: childPath, kind: .file(chunks: node.content)))
            case .directory(let entries):
                let (tree, grandchildren) = try await write(entries, at: childPath, with: &writer)
                var node = TreeNode(name: Array(name.utf8), type: .directory)
                node.mode = 0o755
                node.subtree = tree
                nodes.append(node)
                children.append(VerifyFixtureNode(path: childPath, kind: .directory(tree: tree, children: grandchildren)))
            }
        }
        let tree = try await writer.add(try Tree(nodes: nodes))
        return (tree, children)
    }

    /// Tree order: by name bytes.
    private static func precedes(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    // MARK: Looking inside

    /// The snapshot backing up `path` first (`/srv/projects`, `/home/ada`, `/etc`).
    func snapshot(_ number: Int) -> VerifyFixtureSnapshot { snapshots[number - 1] }

    /// The node at `path` in snapshot `number`.
    func node(_ path: String, inSnapshot number: Int = 1) -> VerifyFixtureNode? {
        func find(_ nodes: [VerifyFixtureNode]) -> VerifyFixtureNode? {
            for node in nodes {
                if node.path == path { return node }
                if case .directory(_, let children) = node.kind, path.hasPrefix(node.path + "/"), let found = find(children) {
                    return found
                }
            }
            return nil
        }
        return find(snapshot(number).roots)
    }

    /// The chunks of the file at `path`.
    func chunks(of path: String, inSnapshot number: Int = 1) -> [Digest256] {
        guard case .file(let chunks)? = node(path, inSnapshot: number)?.kind else { return [] }
        return chunks
    }

    /// The tree of the directory at `path`.
    func tree(of path: String, inSnapshot number: Int = 1) -> Digest256? {
        guard case .directory(let tree, _)? = node(path, inSnapshot: number)?.kind else { return nil }
        return tree
    }

    /// The repository's index as it is now.
    func index() async throws -> Repository.LoadedIndex {
        try await repository.loadIndex()
    }

    /// The location of a blob.
    func location(of blob: BlobKey) async throws -> BlobLocation {
        try #require(try await index().chunks.location(of: blob))
    }

    /// Every pack in the storage, by ID.
    func packs() async throws -> [PackID] {
        try await repository.list(.data).compactMap { PackID(hex: $0.name.name) }.sorted()
    }

    /// The data packs, by ID (packs holding only chunks).
    func dataPacks() async throws -> [PackID] {
        let index = try await index()
        var types: [PackID: Set<UInt8>] = [:]
        for (_, location) in index.chunks {
            types[location.pack, default: []].insert(location.type.rawValue)
        }
        return types.filter { $0.value == [BlobType.data.rawValue] }.keys.sorted()
    }

    /// The data pack holding the most blobs.
    func fullestDataPack() async throws -> PackID {
        var best: (pack: PackID, count: Int)?
        for pack in try await dataPacks() {
            let count = try await blobs(inPack: pack).count
            if count > best?.count ?? 0 { best = (pack, count) }
        }
        return try #require(best?.pack)
    }

    /// The blobs the index places in `pack`, by offset.
    func blobs(inPack pack: PackID) async throws -> [(id: Digest256, location: BlobLocation)] {
        try await index().chunks.filter { $0.location.pack == pack }.sorted { $0.location.offset < $1.location.offset }.map { ($0.key.id, $0.location) }
    }

    /// The path of an object in the local layout.
    func path(of name: ObjectName) -> String {
        switch name.kind {
        case .config: directory.path + "/repo/config"
        case .data: directory.path + "/repo/data/\(name.name.prefix(2))/\(name.name)"
        default: directory.path + "/repo/\(name.kind.rawValue)/\(name.name)"
        }
    }

    /// The path of a pack file.
    func path(ofPack pack: PackID) -> String {
        path(of: try! ObjectName(kind: .data, name: pack.hex))
    }

    // MARK: Damaging

    /// Flips one bit of the byte at `offset` of a file (from the end when negative).
    func flipByte(at offset: Int, ofFileAt path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset >= 0 ? offset : bytes.count + offset] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Flips a byte in the middle of a stored blob.
    func damage(_ blob: BlobKey) async throws {
        let location = try await location(of: blob)
        try flipByte(at: Int(location.offset + location.length / 2), ofFileAt: path(ofPack: location.pack))
    }

    // MARK: Expectations

    /// The paths a report must name when `lost` blobs are lost, in report
    /// order (snapshots oldest first, then tree order), and the lost blobs
    /// the tree walk reaches (the first lost tree on a branch hides the rest).
    func expectedDamage(lost: Set<Digest256>) -> (paths: [VerifyExpectedPath], reachedBlobs: Set<Digest256>) {
        var paths: [VerifyExpectedPath] = []
        var reached: Set<Digest256> = []
        func walk(_ nodes: [VerifyFixtureNode], snapshot: SnapshotID) {
            for node in nodes {
                switch node.kind {
                case .file(let chunks):
                    let lostChunks = chunks.filter(lost.contains)
                    reached.formUnion(lostChunks)
                    if !lostChunks.isEmpty {
                        paths.append(VerifyExpectedPath(snapshot: snapshot, path: node.path, isDirectory: false))
                    }
                case .directory(let tree, let children):
                    if lost.contains(tree) {
                        reached.insert(tree)
                        paths.append(VerifyExpectedPath(snapshot: snapshot, path: node.path, isDirectory: true))
                    } else {
                        walk(children, snapshot: snapshot)
                    }
                }
            }
        }
        for snapshot in snapshots {
            if lost.contains(snapshot.tree) {
                reached.insert(snapshot.tree)
                paths += snapshot.paths.map { VerifyExpectedPath(snapshot: snapshot.id, path: $0, isDirectory: true) }
            } else {
                walk(snapshot.roots, snapshot: snapshot.id)
            }
        }
        return (paths, reached)
    }

    /// Runs the verifier.
    func verify(_ readData: VerifyDataSelection = .none) async throws -> VerifyReport {
        try await RepositoryVerifier(repository: repository, readData: readData, maximumConcurrentPacks: 3).run()
    }
}

extension VerifyReport {
    /// The findings as `kind object` lines, e.g. `pack-missing pack 47d0a1b2`.
    var findingSummaries: [String] {
        findings.map { "\($0.kind.rawValue) \($0.object)" }
    }

    /// The affected paths without their causes.
    var affectedPaths: [VerifyExpectedPath] {
        affected.map(VerifyExpectedPath.init)
    }
}

