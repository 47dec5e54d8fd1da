import VaultChunker
import VaultPOSIX
import VaultRepository

/// Where the chunker cuts a file: what `vault debug chunks` prints.
package enum ChunkBoundaries {
    /// Streams a file through `chunker` and reports each chunk.
    ///
    /// Memory stays bounded by the maximum chunk size plus one read buffer.
    ///
    /// - Parameters:
    ///   - path: The file to split.
    ///   - chunker: The chunker.
    ///   - body: Called with each chunk's offset and length, in order.
    /// - Throws: ``RepositoryError`` with code `.invalidRequest` when the file cannot be read.
    package static func forEachChunk(
        inFileAt path: String, chunker: FastCDC, _ body: (_ offset: Int, _ length: Int) -> Void
    ) throws(RepositoryError) {
        do {
            let file = try FileDescriptor.open(FilePath(path), .readOnly)
            try file.closeAfter { () throws(SystemError) in
                guard try file.status().type == .regular else {
                    throw SystemError(.isDirectory, operation: "read", path: FilePath(path))
                }
                var stream = ChunkStream(chunker: chunker) { buffer in try file.read(into: buffer) }
                do {
                    while let range = try stream.nextRange() {
                        body(range.lowerBound, range.count)
                    }
                } catch let error as SystemError {
                    throw error
                } catch {
                    throw SystemError(.ioError, operation: "read", path: FilePath(path))
                }
            }
        } catch {
            throw RepositoryError(.invalidRequest, "cannot read \(path): \(error.code)")
        }
    }
}
