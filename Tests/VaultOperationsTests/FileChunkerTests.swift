import Foundation
import Testing
import VaultChunker
import VaultCodecs
@testable import VaultOperations
import VaultPOSIX
import VaultRepository
import VaultTestSupport

/// The backup's file chunker on real files in a temporary directory: the
/// chunks it finds, what it sends to the pipeline, and a file that grows or
/// shrinks while the backup reads it (issue 12, "Rooms per operation").
@Suite("Backup: the file chunker on real files")
struct FileChunkerTests {
    /// Chunks the file at `path` into a pipeline of `repository`.
    ///
    /// - Returns: The chunks, and the data blobs the pipeline added.
    static func chunk(_ path: String, in repository: Repository) async throws -> (chunks: [FileChunker.Chunk], dataAdded: Int, index: ChunkIndex) {
        let pipeline = BackupPipeline(repository: repository, index: try await repository.loadIndex().chunks)
        let blobsBefore = pipeline.writer.blobsAdded
        var chunks: [FileChunker.Chunk] = []
        _ = try await pipeline.run { group in
            let file = try LocalSourceFileSystem().openFile(Array(path.utf8))
            defer { try? file.close() }
            var chunker = FileChunker(file: file, path: Array(path.utf8), chunker: repository.chunker, buffer: ChunkStreamBuffer(chunker: repository.chunker))
            while let chunk = try await chunker.next(into: pipeline, group: &group) {
                chunks.append(chunk)
            }
            return repository.identifier.id(of: [UInt8]())
        }
        return (chunks, pipeline.writer.blobsAdded - blobsBefore, pipeline.writer.index)
    }

    @Test("an empty file has no chunks and adds nothing")
    func emptyFile() async throws {
        let fixture = try await BackupFixture()
        try fixture.write("empty", [UInt8]())
        let result = try await Self.chunk(fixture.source + "/empty", in: fixture.repository)
        #expect(result.chunks.isEmpty)
        #expect(result.dataAdded == 0)

        let backup = try await fixture.backup()
        let node = try #require(try await fixture.nodes(in: backup.manifest)["empty"])
        #expect(node.content.isEmpty)
        #expect(node.size == 0)
        #expect(backup.warnings.isEmpty)
    }

    @Test("a file below the minimum chunk size is exactly one chunk, stored once")
    func exactlyOneChunk() async throws {
        let fixture = try await BackupFixture()
        let bytes = pseudoRandomBytes(count: 10_000, seed: 7)
        try fixture.write("one", bytes)
        let first = try await Self.chunk(fixture.source + "/one", in: fixture.repository)
        let id = fixture.repository.identifier.id(of: bytes)
        #expect(first.chunks.map(\.id) == [id])
        #expect(first.chunks.map(\.count) == [bytes.count])
        #expect(first.dataAdded == 1)
        #expect(first.index.location(of: .data(id)) != nil, "stored and indexed when the pipeline finishes")

        // The repository has it now: chunking again sends nothing.
        let again = try await Self.chunk(fixture.source + "/one", in: fixture.repository)
        #expect(again.chunks.map(\.id) == [id])
        #expect(again.dataAdded == 0)
    }

    @Test("a file of several chunks is cut where FastCDC cuts the whole file, each new chunk sent once")
    func severalChunks() async throws {
        let fixture = try await BackupFixture()
        // Twice the same 300 kB: the second half repeats chunks of the first.
        let half = pseudoRandomBytes(count: 300_000, seed: 8)
        let bytes = half + half
        try fixture.write("many", bytes)
        let result = try await Self.chunk(fixture.source + "/many", in: fixture.repository)
        let expected = fixture.repository.chunker.chunks(of: bytes).map { fixture.repository.identifier.id(of: Array(bytes[$0])) }
        #expect(result.chunks.map(\.id) == expected)
        #expect(result.chunks.reduce(0) { $0 + $1.count } == bytes.count)
        #expect(result.dataAdded == Set(expected).count)
        #expect(expected.count > 2)
    }

    /// The local file system, with files that change when a read reaches their end.
    final class ChangingFileSystem: SourceFileSystem, @unchecked Sendable {
        let base = LocalSourceFileSystem()
        /// How many times each path was opened.
        private(set) var opens: [String: Int] = [:]
        /// Changes the file at a path (given how many times it was opened) when a read reaches its end.
        let change: (_ path: String, _ opening: Int) -> Void

        init(change: @escaping (_ path: String, _ opening: Int) -> Void) {
            self.change = change
        }

        func status(of path: [UInt8]) throws(SystemError) -> FileStatus { try base.status(of: path) }
        func listDirectory(_ path: [UInt8], _ entry: ([UInt8], Result<FileStatus, SystemError>) -> Void) throws(SystemError) {
            try base.listDirectory(path, entry)
        }
        func linkTarget(of path: [UInt8]) throws(SystemError) -> [UInt8] { try base.linkTarget(of: path) }
        func extendedAttributes(of path: [UInt8]) throws(SystemError) -> [(name: [UInt8], value: [UInt8])] {
            try base.extendedAttributes(of: path)
        }
        func openFile(_ path: [UInt8]) throws(SystemError) -> any SourceFile {
            let text = String(decoding: path, as: UTF8.self)
            opens[text, default: 0] += 1
            let opening = opens[text] ?? 0
            return ChangingFile(file: try base.openFile(path)) { [change] in change(text, opening) }
        }

        final class ChangingFile: SourceFile {
            let file: any SourceFile
            let atEnd: () -> Void
            var changed = false

            init(file: any SourceFile, atEnd: @escaping () -> Void) {
                self.file = file
                self.atEnd = atEnd
            }

            func status() throws(SystemError) -> FileStatus { try file.status() }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
                let count = try file.read(into: buffer)
                if count == 0, !changed {
                    changed = true
                    atEnd()
                }
                return count
            }
            func read(fromAbsoluteOffset offset: Int64, count: Int) throws(SystemError) -> [UInt8] {
                try file.read(fromAbsoluteOffset: offset, count: count)
            }
            func close() throws(SystemError) { try file.close() }
        }
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    static func truncate(_ path: String, to size: UInt64) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: size)
    }

    /// Backs up the fixture's source through `fileSystem`.
    static func backup(_ fixture: BackupFixture, through fileSystem: some SourceFileSystem) async throws -> BackupResult {
        var options = BackupOptions(paths: [fixture.source])
        options.kind = .full
        var backup = Backup(repository: fixture.repository, options: options)
        backup.fileSystem = fileSystem
        return try await backup.run()
    }

    @Test("a file that grows while every read of it runs is stored as last read, flagged, and warned about")
    func growsWhileRead() async throws {
        let fixture = try await BackupFixture()
        let bytes = pseudoRandomBytes(count: 100_000, seed: 9)
        try fixture.write("log", bytes)
        let path = fixture.source + "/log"
        let fileSystem = ChangingFileSystem { changed, _ in
            if changed == path { try? FileChunkerTests.append(Array("more\n".utf8), to: path) }
        }
        let result = try await Self.backup(fixture, through: fileSystem)
        #expect(fileSystem.opens[path] == 2, "read once more before giving up")
        #expect(result.warnings == [BackupWarning(kind: .changedWhileReading, path: path, reason: "")])
        #expect(!result.manifest.incomplete)
        let node = try #require(try await fixture.nodes(in: result.manifest)["log"])
        #expect(node.flags.contains(.changedWhileReading))
        // The second read saw the first growth, not the second.
        let stored = try #require(try await fixture.files(of: result.manifest)["log"])
        #expect(stored == bytes + Array("more\n".utf8))
        #expect(node.size == UInt64(stored.count))
    }

    @Test("a file that shrinks while every read of it runs is flagged and warned about")
    func shrinksWhileRead() async throws {
        let fixture = try await BackupFixture()
        let bytes = pseudoRandomBytes(count: 100_000, seed: 10)
        try fixture.write("data", bytes)
        let path = fixture.source + "/data"
        let fileSystem = ChangingFileSystem { changed, opening in
            if changed == path { try? FileChunkerTests.truncate(path, to: UInt64(50_000 / opening)) }
        }
        let result = try await Self.backup(fixture, through: fileSystem)
        #expect(result.warnings == [BackupWarning(kind: .changedWhileReading, path: path, reason: "")])
        let node = try #require(try await fixture.nodes(in: result.manifest)["data"])
        #expect(node.flags.contains(.changedWhileReading))
        let stored = try #require(try await fixture.files(of: result.manifest)["data"])
        #expect(stored == Array(bytes.prefix(50_000)), "the second read saw the file the first left")
    }

    @Test("a file that changed during the first read only is read again and stored whole, without a flag")
    func changesOnce() async throws {
        let fixture = try await BackupFixture()
        let bytes = pseudoRandomBytes(count: 100_000, seed: 11)
        try fixture.write("once", bytes)
        let path = fixture.source + "/once"
        let fileSystem = ChangingFileSystem { changed, opening in
            if changed == path, opening == 1 { try? FileChunkerTests.append(Array("tail".utf8), to: path) }
        }
        let result = try await Self.backup(fixture, through: fileSystem)
        #expect(fileSystem.opens[path] == 2)
        #expect(result.warnings.isEmpty)
        let node = try #require(try await fixture.nodes(in: result.manifest)["once"])
        #expect(!node.flags.contains(.changedWhileReading))
        #expect(try await fixture.files(of: result.manifest)["once"] == bytes + Array("tail".utf8))
    }
}
