import VaultChunker
import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Reads an input (an open file, or standard input), cuts it into chunks
/// with ``ChunkStream``, hashes each, and sends those the repository lacks
/// to the ``BackupPipeline``.
///
/// A chunk is copied once, and only when it is new: the stream's buffer
/// is reused for the next one.
struct FileChunker: ~Copyable {
    /// A chunk read.
    struct Chunk {
        /// The chunk's ID.
        var id: Digest256
        /// Its length in bytes.
        var count: Int
    }

    private var stream: ChunkStream
    /// Where read errors that are not ``SystemError``s are reported as
    /// `EIO`; `nil` passes every error on as it is.
    private let path: [UInt8]?

    /// Chunks what `source` reads (standard input).
    ///
    /// - Parameters:
    ///   - chunker: Finds the cut points.
    ///   - source: Reads the next bytes into the buffer; 0 at the end.
    init(chunker: FastCDC, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        stream = ChunkStream(chunker: chunker, source: source)
        path = nil
    }

    /// Chunks an open file from its current offset.
    ///
    /// - Parameters:
    ///   - file: The file; the caller closes it.
    ///   - path: Its path, for errors.
    ///   - chunker: Finds the cut points.
    ///   - buffer: Where the file is read: one buffer serves every file of
    ///     a backup, one file at a time.
    init(file: any SourceFile, path: [UInt8], chunker: FastCDC, buffer: ChunkStreamBuffer) {
        stream = ChunkStream(chunker: chunker, buffer: buffer) { buffer in try file.read(into: buffer) }
        self.path = path
    }

    /// Reads the next chunk and sends it to `pipeline` when it is new.
    ///
    /// - Parameters:
    ///   - pipeline: Where new chunks go.
    ///   - group: The pipeline's tasks.
    ///   - firstChunk: Called with the input's first chunk, if it has one.
    /// - Returns: The chunk, or `nil` at the end of the input.
    /// - Throws: ``SystemError`` when reading fails (for a file, `EIO` for
    ///   an error of another type); what the pipeline throws.
    mutating func next(
        into pipeline: BackupPipeline, group: inout PipelineGroup, firstChunk: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) async throws -> Chunk? {
        let identifier = pipeline.repository.identifier
        let next: (id: Digest256, copy: [UInt8]?, count: Int)?
        do {
            next = try stream.next { bytes, offset in
                if offset == 0 { firstChunk(bytes) }
                let id = identifier.id(of: bytes)
                return (id, pipeline.reserve(.data(id)) ? Array(bytes) : nil, bytes.count)
            }
        } catch let error as SystemError {
            throw error
        } catch {
            guard let path else { throw error }
            throw SystemError(.ioError, operation: "read", path: FilePath(bytes: path))
        }
        guard let next else { return nil }
        if let copy = next.copy {
            try await pipeline.submit(copy, id: next.id, type: .data, group: &group)
        }
        return Chunk(id: next.id, count: next.count)
    }
}
