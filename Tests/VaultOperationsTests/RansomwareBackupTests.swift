import Foundation
import Synchronization
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

/// A small realistic tree for the ransomware check: Office documents,
/// PDFs, notes, photos and extensionless text, 1 to 16 KiB each.
struct RansomwareTree {
    let fixture: BackupFixture
    /// Relative paths, in the order written.
    private(set) var files: [String] = []

    init(_ fixture: BackupFixture, count: Int = 200) throws {
        self.fixture = fixture
        for index in 0..<count {
            let size = 1024 + Int((UInt64(index) &* 2_654_435_761) % (15 * 1024))
            let seed = UInt64(index + 1)
            let (path, bytes): (String, [UInt8])
            switch index % 5 {
            case 0: (path, bytes) = ("docs/d\(index).docx", [0x50, 0x4B, 0x03, 0x04] + pseudoRandomBytes(count: size, seed: seed))
            case 1: (path, bytes) = ("docs/r\(index).pdf", Array("%PDF-1.7\n".utf8) + proseBytes(count: size, seed: seed))
            case 2: (path, bytes) = ("notes/n\(index).txt", proseBytes(count: size, seed: seed))
            case 3: (path, bytes) = ("photos/p\(index).jpg", [0xFF, 0xD8, 0xFF, 0xE0] + pseudoRandomBytes(count: size, seed: seed))
            default: (path, bytes) = ("src/pkg\(index)/copyright", proseBytes(count: size, seed: seed))
            }
            try fixture.write(path, bytes)
            files.append(path)
        }
    }

    /// 30% of the files, every kind alike: three runs of five files in every fifty.
    var attacked: [String] {
        files.enumerated().filter { ($0.offset / 5) % 10 < 3 }.map(\.element)
    }

    /// The other 70%.
    var spared: [String] {
        files.enumerated().filter { ($0.offset / 5) % 10 >= 3 }.map(\.element)
    }

    /// Overwrites files with what `openssl enc` writes, optionally renaming them with a new extension.
    func encrypt(_ paths: [String], renamingTo suffix: String? = nil) throws {
        for (index, path) in paths.enumerated() {
            let full = fixture.source + "/" + path
            let size = try #require(try FileManager.default.attributesOfItem(atPath: full)[.size] as? Int)
            let ciphertext = ciphertextBytes(count: size + 16 - size % 16 + 16, seed: 1000 + UInt64(index))
            if let suffix {
                try fixture.write(path + suffix, ciphertext)
                try FileManager.default.removeItem(atPath: full)
            } else {
                try fixture.write(path, ciphertext)
            }
        }
    }
}

@Suite("Ransomware check in backups")
struct RansomwareBackupTests {
    @Test("30% of a tree encrypted in place: the snapshot is saved, marked suspect, and names the clean one", arguments: [SnapshotKind.incremental, .full])
    func encryptedInPlace(kind: SnapshotKind) async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        let clean = try await fixture.backup()
        #expect(clean.manifest.suspect == nil, "a first backup has nothing to compare with")
        #expect(clean.ransomwareAlarm == nil)

        try tree.encrypt(tree.attacked)
        let attacked = try await fixture.backup(kind)
        let alarm = try #require(attacked.ransomwareAlarm)
        let suspicion = try #require(attacked.manifest.suspect)
        #expect(alarm.suspicion == suspicion)
        #expect(suspicion.filesExamined == tree.attacked.count)
        #expect(suspicion.filesSuspicious == tree.attacked.count, "every kind of file gives a sign: \(suspicion)")
        #expect(suspicion.becameIncompressible > 0 && suspicion.signatureMismatches > 0)
        #expect(suspicion.examples.count == 20)
        #expect(suspicion.examples.allSatisfy { example in tree.attacked.contains { example == fixture.source + "/" + $0 } })
        #expect(alarm.previousClean?.id == clean.snapshotID)

        // The mark is in the stored manifest, and the snapshot restores like any other.
        let stored = try #require(try await fixture.repository.snapshots().first { $0.id == attacked.snapshotID })
        #expect(stored.manifest.suspect == suspicion)
        let files = try await fixture.files(of: stored.manifest)
        #expect(files.count == tree.files.count)

        // The next backup sees no change: not suspect itself, but not clean either.
        let after = try await fixture.backup()
        #expect(after.manifest.suspect == nil)
        let snapshots = try await fixture.repository.snapshots()
        #expect(CleanSnapshots.newestClean(in: snapshots).map(\.id) == [clean.snapshotID])
        #expect(try SnapshotReference(parsing: "last-clean").resolve(in: snapshots).id == clean.snapshotID)
        #expect(cleanSnapshotsToProtect(snapshots) == [ProtectedCleanSnapshot(id: clean.snapshotID, suspectID: attacked.snapshotID)])
    }

    @Test("30% encrypted and renamed to .locked: suspect, with the shared extension named")
    func encryptedAndRenamed() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        _ = try await fixture.backup()
        try tree.encrypt(tree.attacked, renamingTo: ".locked")
        let attacked = try await fixture.backup()
        let suspicion = try #require(attacked.manifest.suspect)
        #expect(attacked.manifest.summary.filesNew == tree.attacked.count)
        #expect(attacked.manifest.summary.filesRemoved == tree.attacked.count)
        #expect(suspicion.filesExamined == tree.attacked.count, "a rename counts once")
        #expect(suspicion.filesSuspicious == tree.attacked.count)
        #expect(suspicion.renamed == tree.attacked.count)
        #expect(suspicion.renamedTo == ["locked"])
    }

    @Test("--no-ransomware-check turns it off; --ransomware-threshold sets it")
    func configuration() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        _ = try await fixture.backup()
        try tree.encrypt(tree.attacked)
        let unchecked = try await fixture.backup { $0.ransomwareThreshold = nil }
        #expect(unchecked.manifest.suspect == nil)
        #expect(unchecked.ransomwareAlarm == nil)

        try tree.encrypt(Array(tree.spared.prefix(40)))
        let byDefault = try await fixture.backup()
        #expect(byDefault.manifest.suspect == nil, "40 files are below the default 50")
        try tree.encrypt(Array(tree.spared.dropFirst(40).prefix(40)))
        let lowered = try await fixture.backup { $0.ransomwareThreshold = RansomwareThreshold(minimumFiles: 10, minimumPercent: 5) }
        #expect(lowered.manifest.suspect?.filesSuspicious == 40)
    }

    @Test("real churn raises no alarm: new text over 30% of the text files")
    func newText() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        _ = try await fixture.backup()
        let text = tree.files.filter { $0.hasSuffix(".txt") || $0.hasSuffix("copyright") }
        for (index, path) in text.enumerated() where index % 10 < 3 {
            try fixture.write(path, proseBytes(count: 3000 + index * 37, seed: 5000 + UInt64(index)))
        }
        let result = try await fixture.backup()
        #expect(result.manifest.summary.filesChanged > 20)
        #expect(result.manifest.suspect == nil, "\(String(describing: result.manifest.suspect))")
    }

    @Test("real churn raises no alarm: a directory of new photos and archives, and appended lines")
    func newPhotosAndAppends() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        _ = try await fixture.backup()
        for index in 0..<150 {
            let bytes = pseudoRandomBytes(count: 4000 + index * 13, seed: 7000 + UInt64(index))
            switch index % 3 {
            case 0: try fixture.write("camera/IMG_\(index).jpg", [0xFF, 0xD8, 0xFF, 0xE1] + bytes)
            case 1: try fixture.write("camera/archive\(index).zip", [0x50, 0x4B, 0x03, 0x04] + bytes)
            default: try fixture.write("camera/dump\(index).gz", [0x1F, 0x8B, 0x08, 0x00] + bytes)
            }
        }
        // The benchmark's mutation: 100 bytes appended to some files.
        for (index, path) in tree.files.enumerated() where index % 4 == 0 {
            let handle = try #require(FileHandle(forWritingAtPath: fixture.source + "/" + path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("vault bench mutation \(index) ".utf8) + Data(repeating: UInt8(ascii: "."), count: 70))
            try handle.close()
        }
        let result = try await fixture.backup()
        #expect(result.manifest.summary.filesNew == 150)
        #expect(result.manifest.summary.filesChanged == 50)
        #expect(result.manifest.suspect == nil, "\(String(describing: result.manifest.suspect))")
    }

    @Test("real churn raises no alarm: git gc packs hundreds of loose objects")
    func gitGC() async throws {
        let fixture = try await BackupFixture()
        _ = try RansomwareTree(fixture, count: 50)
        var loose: [String] = []
        for index in 0..<300 {
            let hex = String(format: "%040x", index &* 2_654_435_761)
            let path = "repo/.git/objects/\(hex.prefix(2))/\(hex.dropFirst(2))"
            try fixture.write(path, [0x78, 0x01] + pseudoRandomBytes(count: 600 + index, seed: 9000 + UInt64(index)))
            loose.append(path)
        }
        try fixture.write("repo/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n")
        _ = try await fixture.backup()
        for path in loose {
            try FileManager.default.removeItem(atPath: fixture.source + "/" + path)
        }
        try fixture.write("repo/.git/objects/pack/pack-3f2a.pack", Array("PACK".utf8) + pseudoRandomBytes(count: 200_000, seed: 1))
        try fixture.write("repo/.git/objects/pack/pack-3f2a.idx", [0xFF, 0x74, 0x4F, 0x63] + pseudoRandomBytes(count: 9000, seed: 2))
        try fixture.write("repo/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n3f2a refs/heads/main\n")
        let result = try await fixture.backup()
        #expect(result.manifest.summary.filesRemoved == 300)
        #expect(result.manifest.suspect == nil, "\(String(describing: result.manifest.suspect))")
    }

    @Test("a repository without compression: stored sizes say nothing, magic numbers and text extensions still tell")
    func uncompressedRepository() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        let storage = try LocalDirectoryStorage.create(at: fixture.directory.appending("plain"))
        let config = RepositoryConfig(
            isEncrypted: false, chunker: try .init(minSize: 16 << 10, avgSize: 64 << 10, maxSize: 256 << 10), compression: .none, packSize: 1 << 20
        )
        let plain = try await Repository.create(in: storage, config: config, password: nil, kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1))
        var options = BackupOptions(paths: [fixture.source])
        _ = try await Backup(repository: plain, options: options).run()
        try tree.encrypt(tree.attacked)
        options.ransomwareThreshold = RansomwareThreshold(minimumFiles: 10, minimumPercent: 5)
        let attacked = try await Backup(repository: plain, options: options).run()
        let suspicion = try #require(attacked.manifest.suspect)
        #expect(suspicion.becameIncompressible == 0)
        // Four kinds in five have a checked extension (docx, pdf, txt, jpg); extensionless text goes unseen.
        #expect(suspicion.filesSuspicious == tree.attacked.count * 4 / 5)
        #expect(suspicion.signatureMismatches == suspicion.filesSuspicious)
    }

    @Test("empty files, files that vanish and standard input are no trouble")
    func edgeCases() async throws {
        let fixture = try await BackupFixture()
        let tree = try RansomwareTree(fixture)
        try fixture.write("empty.txt", [])
        _ = try await fixture.backup()
        try fixture.write("empty.txt", [])
        try fixture.write("was-empty.pdf", [])
        _ = try await fixture.backup()
        try fixture.write("was-empty.pdf", ciphertextBytes(count: 4096, seed: 3))
        try tree.encrypt(tree.attacked)
        let result = try await fixture.backup()
        #expect(result.manifest.suspect?.filesSuspicious == tree.attacked.count + 1, "the .pdf that was empty counts too")

        var options = BackupOptions(paths: [])
        options.host = "stdin-host"
        let bytes = ciphertextBytes(count: 10_000, seed: 4)
        let offset = Mutex(0)
        let stream = StandardInputSource(fileName: "db.sql") { buffer in
            offset.withLock { position in
                let count = min(buffer.count, bytes.count - position)
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<(position + count)]))
                }
                position += count
                return count
            }
        }
        let streamed = try await Backup(repository: fixture.repository, options: options).run(stream: stream)
        #expect(streamed.manifest.suspect == nil)
    }
}
