import Foundation
import Glibc
import Testing
import VaultTestSupport
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// The seeded round-trip property: random trees (odd names, every size,
/// hard links, symbolic links, fifos, modes, empty and sparse files,
/// extended attributes) → full backup → mutate → incremental → mutate →
/// differential → mutate → incremental → restore each snapshot → each is
/// exactly the tree as it was when backed up.
///
/// A handful of fixed seeds run every time; `VAULT_ROUNDTRIP_SEEDS=N` adds
/// N random seeds. Every failure names its seed: rerun one with
/// `VAULT_ROUNDTRIP_SEED=S`.
@Suite("round trip: random trees through every snapshot kind")
struct RoundTripPropertyTests {
    static let seeds: [UInt64] = {
        let environment = ProcessInfo.processInfo.environment
        if let one = environment["VAULT_ROUNDTRIP_SEED"].flatMap(UInt64.init) { return [one] }
        let extra = environment["VAULT_ROUNDTRIP_SEEDS"].flatMap(Int.init) ?? 0
        return [1, 2, 3, 4] + (0..<max(0, extra)).map { _ in UInt64.random(in: 5...UInt64(UInt32.max)) }
    }()

    @Test("every snapshot restores exactly the tree it was taken of", arguments: seeds)
    func roundTrip(seed: UInt64) async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        var tree = RandomTree(root: source, seed: seed)
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try tree.populate(TestFiles.bytes(source), depth: 0)

        var expected: [(snapshot: SnapshotID, state: [String: String])] = []
        for (step, kind) in [SnapshotKind.full, .incremental, .differential, .incremental].enumerated() {
            if step > 0 {
                // Let the coarse ctime clock move on, so a rewrite after the backup changes it.
                try await Task.sleep(nanoseconds: 20_000_000)
                try tree.mutate()
            }
            let state = try TreeState.capture(source)
            var options = BackupOptions(paths: [source])
            options.kind = kind
            let result = try await Backup(repository: fixture.repository, options: options).run()
            #expect(result.manifest.kind == kind, "seed \(seed), step \(step)")
            #expect(result.warnings.isEmpty, "seed \(seed), step \(step): \(result.warnings)")
            expected.append((result.snapshotID, state))
        }
        for (step, snapshot) in expected.enumerated() {
            let target = fixture.scratch.appending("restored-\(step)")
            let result = try await fixture.restore("\(snapshot.snapshot.hex):\(source)", into: target) { $0.verifies = true }
            #expect(result.isComplete, "seed \(seed), snapshot \(step): \(result.problems.map(\.message))")
            let restored = try TreeState.capture(target)
            let differences = TreeState.differences(snapshot.state, restored)
            #expect(differences.isEmpty, "seed \(seed), snapshot \(step) (rerun with VAULT_ROUNDTRIP_SEED=\(seed)): \(differences.prefix(10))")
        }
        let report = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run()
        #expect(!report.hasDamage, "seed \(seed): \(report.findings)")
    }
}

/// Every entry below a directory, described by what a restore must keep:
/// type, mode, modification time, size, contents, link target, hard-link
/// group, extended attributes. Access times and the root itself are left out.
enum TreeState {
    static func capture(_ root: String) throws -> [String: String] {
        let rootBytes = TestFiles.bytes(root)
        var state: [String: String] = [:]
        var groups: [UInt64: String] = [:]
        let paths = try TestFiles.walk(rootBytes)
        for relative in paths {
            let name = String(decoding: relative, as: UTF8.self).debugDescription
            let path = TestFiles.join(rootBytes, relative)
            let status = try TestFiles.status(path)
            var line = "\(status.type) mode \(String(status.permissions, radix: 8)) mtime \(status.modificationTime)"
            switch status.type {
            case .regular:
                line += " size \(status.size) sha \(SHA256Hasher.hash(try TestFiles.read(path)).hex.prefix(16))"
                if status.linkCount > 1 {
                    // The group is named by its first path in walk order.
                    let group = groups[status.inode] ?? name
                    groups[status.inode] = group
                    line += " links \(status.linkCount) group \(group)"
                }
            case .symbolicLink:
                line += " -> \(String(decoding: try FileSystem.linkTarget(of: FilePath(bytes: path)), as: UTF8.self).debugDescription)"
            default:
                break
            }
            if status.type != .symbolicLink {
                let attributes = try FileSystem.extendedAttributes(of: FilePath(bytes: path))
                    .map { "\(String(decoding: $0.name, as: UTF8.self))=\($0.value)" }.sorted()
                if !attributes.isEmpty { line += " xattrs \(attributes)" }
            }
            state[name] = line
        }
        return state
    }

    /// One line per path that differs.
    static func differences(_ expected: [String: String], _ actual: [String: String]) -> [String] {
        var lines: [String] = []
        for key in Set(expected.keys).union(actual.keys).sorted() where expected[key] != actual[key] {
            lines.append("\(key): expected \(expected[key] ?? "nothing"), restored \(actual[key] ?? "nothing")")
        }
        return lines
    }
}

/// A random tree, built and then changed step by step from one seed.
struct RandomTree {
    let root: String
    var random: SplitMix64
    let attributes: Bool
    private var counter = 0

    init(root: String, seed: UInt64) {
        self.root = root
        random = SplitMix64(seed: seed)
        attributes = (try? TestFiles.supportsUserAttributes(in: (root as NSString).deletingLastPathComponent)) ?? false
    }

    mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(max(1, bound))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// A fresh name: odd bytes, spaces, leading dots, non-UTF-8, newlines.
    mutating func name() -> [UInt8] {
        counter += 1
        let stems: [[UInt8]] = [
            Array("file".utf8), Array("with space".utf8), Array(".hidden".utf8), [0xFF, 0xFE, 0x41], Array("line\nbreak".utf8),
            Array("ünïcödé".utf8), Array("-dash".utf8), Array("*glob?[x]".utf8), Array(String(repeating: "long", count: 40).utf8),
        ]
        return stems[below(stems.count)] + Array("-\(counter)".utf8)
    }

    mutating func time() -> FileTime {
        FileTime(seconds: Int64(946_684_800 + below(800_000_000)), nanoseconds: Int32(below(1_000_000_000)))
    }

    mutating func contents() -> (size: Int64, pieces: [(Int64, [UInt8])]) {
        switch below(10) {
        case 0: return (0, [])
        case 1, 2: let count = 1 + below(100); return (Int64(count), [(0, TestFiles.random(count, seed: random.next()))])
        case 3, 4, 5: let count = 1000 + below(50_000); return (Int64(count), [(0, TestFiles.random(count, seed: random.next()))])
        case 6, 7: let count = 100_000 + below(600_000); return (Int64(count), [(0, TestFiles.random(count, seed: random.next()))])
        case 8:
            // Compressible: repeated text.
            let line = Array("a line that repeats \(below(1000))\n".utf8)
            let bytes = Array((0..<(1 + below(4000))).map { _ in line }.joined())
            return (Int64(bytes.count), [(0, bytes)])
        default:
            // Sparse: a few pieces of data in megabytes of holes.
            let size = Int64(1 << 20) + Int64(below(4 << 20))
            return (size, (0..<below(4)).map { _ in (Int64(below(Int(size) - 100)), TestFiles.random(1 + below(99), seed: random.next())) })
        }
    }

    mutating func writeFile(_ path: [UInt8]) throws {
        let (size, pieces) = contents()
        let file = try FileDescriptor.open(FilePath(bytes: path), .writeOnly, options: [.create, .truncate], permissions: 0o644)
        defer { try? file.close() }
        try file.truncate(to: size)
        for (offset, bytes) in pieces {
            try bytes.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: offset, $0) }
        }
    }

    mutating func finishEntry(_ path: [UInt8], directory: Bool = false) throws {
        let modes: [UInt32] = directory ? [0o755, 0o700, 0o750] : [0o644, 0o600, 0o755, 0o640, 0o444, 0o4755 & 0o777]
        try FileSystem.setPermissions(of: FilePath(bytes: path), to: modes[below(modes.count)])
        if attributes, !directory, try TestFiles.status(path).type == .regular, chance(15) {
            try FileSystem.setExtendedAttribute(Array("user.k\(below(3))".utf8), value: TestFiles.random(below(40), seed: random.next()), of: FilePath(bytes: path))
        }
        try FileSystem.setTimes(of: FilePath(bytes: path), access: time(), modification: time())
    }

    /// Files of this tree, for hard links and mutations.
    func files() throws -> [[UInt8]] {
        try TestFiles.walk(TestFiles.bytes(root)).filter { try TestFiles.status(TestFiles.join(TestFiles.bytes(root), $0)).type == .regular }
    }

    func directories() throws -> [[UInt8]] {
        [[]] + (try TestFiles.walk(TestFiles.bytes(root)).filter { try TestFiles.status(TestFiles.join(TestFiles.bytes(root), $0)).type == .directory })
    }

    func absolute(_ relative: [UInt8]) -> [UInt8] {
        relative.isEmpty ? TestFiles.bytes(root) : TestFiles.join(TestFiles.bytes(root), relative)
    }

    /// Adds one random entry in `directory`.
    mutating func addEntry(in directory: [UInt8], depth: Int) throws {
        let path = TestFiles.join(directory, name())
        switch below(20) {
        case 0..<11:
            try writeFile(path)
            try finishEntry(path)
        case 11, 12:
            try TestFiles.symlink(path, to: chance(50) ? name() : Array("../\(below(9))/x".utf8))
            try FileSystem.setTimes(of: FilePath(bytes: path), access: time(), modification: time())
        case 13:
            try FileSystem.makeSpecialFile(FilePath(bytes: path), kind: .fifo, permissions: 0o640)
            try finishEntry(path)
        case 14, 15:
            let existing = try files()
            if !existing.isEmpty {
                try TestFiles.link(absolute(existing[below(existing.count)]), path)
            } else {
                try writeFile(path)
            }
        default:
            if depth < 4 {
                try TestFiles.makeDirectory(path)
                try populate(path, depth: depth + 1)
            } else {
                try writeFile(path)
                try finishEntry(path)
            }
        }
    }

    /// Fills a new directory with 0–6 entries, then sets its metadata.
    mutating func populate(_ directory: [UInt8], depth: Int) throws {
        for _ in 0..<below(depth == 0 ? 12 : 7) {
            try addEntry(in: directory, depth: depth)
        }
        if depth > 0 { try finishEntry(directory, directory: true) }
    }

    /// Changes the tree: rewrites (some of the same size with the old
    /// mtime put back), appends, removals, renames, mode and time changes,
    /// new entries.
    mutating func mutate() throws {
        for _ in 0..<(3 + below(8)) {
            let files = try files()
            let directories = try directories()
            switch below(9) {
            case 0, 1:
                guard !files.isEmpty else { continue }
                let path = absolute(files[below(files.count)])
                try FileSystem.setPermissions(of: FilePath(bytes: path), to: 0o644)
                try writeFile(path)
                try finishEntry(path)
            case 2:
                // Same size, old mtime put back: only the ctime tells.
                guard !files.isEmpty else { continue }
                let path = absolute(files[below(files.count)])
                let status = try TestFiles.status(path)
                guard status.size > 0 else { continue }
                try FileSystem.setPermissions(of: FilePath(bytes: path), to: 0o644)
                let file = try FileDescriptor.open(FilePath(bytes: path), .writeOnly)
                let offset = Int64(below(Int(status.size)))
                try [UInt8(truncatingIfNeeded: random.next() | 1)].withUnsafeBytes { try file.writeAll(toAbsoluteOffset: offset, $0) }
                try file.close()
                try FileSystem.setPermissions(of: FilePath(bytes: path), to: status.permissions)
                try FileSystem.setTimes(of: FilePath(bytes: path), access: status.modificationTime, modification: status.modificationTime)
            case 3:
                guard !files.isEmpty else { continue }
                let relative = files[below(files.count)]
                try FileSystem.removeFile(FilePath(bytes: absolute(relative)))
            case 4:
                guard !files.isEmpty else { continue }
                let from = absolute(files[below(files.count)])
                let to = TestFiles.join(absolute(directories[below(directories.count)]), name())
                try FileSystem.rename(FilePath(bytes: from), to: FilePath(bytes: to))
            case 5:
                guard !files.isEmpty else { continue }
                try finishEntry(absolute(files[below(files.count)]))
            case 6:
                // A whole directory goes.
                let directory = absolute(directories[below(directories.count)])
                guard directory != TestFiles.bytes(root), let slash = directory.lastIndex(of: UInt8(ascii: "/")) else { continue }
                let parent = try FileDescriptor.open(FilePath(bytes: Array(directory[..<slash])), .readOnly, options: [.directory])
                defer { try? parent.close() }
                try RestoreTarget.removeEntry(Array(directory[(slash + 1)...]), in: parent, isDirectory: true)
            default:
                let directory = directories[below(directories.count)]
                try addEntry(in: absolute(directory), depth: directory.count(where: { $0 == UInt8(ascii: "/") }) + 1)
            }
        }
    }
}
