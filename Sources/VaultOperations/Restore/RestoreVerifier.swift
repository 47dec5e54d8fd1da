import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Reads restored files back and checks every chunk against its ID
/// (`vault restore --verify`).
struct RestoreVerifier {
    /// One chunk of a file: its ID and length.
    struct Chunk: Sendable {
        var id: Digest256
        var length: Int
    }

    /// A file to check.
    struct Item: Sendable {
        var directory: Int
        var name: [UInt8]
        var chunks: [Chunk]
    }

    /// What reading one file back found.
    enum Outcome: Sendable, Equatable {
        /// Every chunk matches and the file ends where the last one does.
        case matches(bytes: Int64)
        /// The contents differ from the snapshot.
        case mismatch(String)
    }

    /// Checks an open file against its chunks, reading it from the start.
    ///
    /// - Parameters:
    ///   - file: The file, open for reading.
    ///   - chunks: Its chunks in order.
    ///   - identifier: The repository's blob identifier.
    /// - Returns: Whether the contents match, and if not, the first difference.
    /// - Throws: ``SystemError`` when the file cannot be read.
    static func check(_ file: FileDescriptor, chunks: [Chunk], identifier: BlobIdentifier) throws(SystemError) -> Outcome {
        let largest = chunks.map(\.length).max() ?? 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        for (number, chunk) in chunks.enumerated() {
            let region = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<chunk.length])
            let count = try file.read(fromAbsoluteOffset: offset, into: region)
            guard count == chunk.length else {
                return .mismatch("the file ends at \(offset + Int64(count)) bytes, the snapshot has more")
            }
            guard identifier.id(of: UnsafeRawBufferPointer(region)) == chunk.id else {
                return .mismatch("chunk \(number + 1) of \(chunks.count) (bytes \(offset)..<\(offset + Int64(chunk.length))) differs from the snapshot")
            }
            offset += Int64(chunk.length)
        }
        if try file.read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1])) > 0 {
            return .mismatch("the file is longer than the snapshot's \(offset) bytes")
        }
        return .matches(bytes: offset)
    }

    /// Checks files in parallel; the calling task opens them (through the
    /// target's descriptors), child tasks read and hash.
    ///
    /// - Returns: The verification report.
    static func verify(_ items: [Item], cache: RestoreDirectoryCache, identifier: BlobIdentifier, interrupt: InterruptFlag) async throws -> RestoreVerification {
        var verification = RestoreVerification()
        let maximumInFlight = max(2, 2 * ProcessorCount.count)
        var next = 0
        try await BoundedConcurrency.run(limit: maximumInFlight) { () throws(any Error) -> (@Sendable () async -> (Int, Result<Outcome, SystemError>))? in
            while next < items.count {
                let index = next
                let item = items[index]
                next += 1
                try interrupt.check()
                cache.trim()
                let file: FileDescriptor
                do throws(SystemError) {
                    let directory = try cache.descriptor(of: item.directory)
                    file = try openForReading(FilePath(bytes: item.name), in: directory)
                } catch {
                    verification.files += 1
                    verification.mismatches.append(RestoreProblem(
                        path: cache.displayPath(item.directory, item.name), reason: "verification failed: cannot open: \(error.code)"))
                    continue
                }
                return {
                    let outcome = Result { () throws(SystemError) in try file.closeAfter { () throws(SystemError) in try check(file, chunks: item.chunks, identifier: identifier) } }
                    return (index, outcome)
                }
            }
            return nil
        } collect: { (result: (Int, Result<Outcome, SystemError>)) -> BoundedConcurrency.Decision in
            let (index, outcome) = result
            let path = cache.displayPath(items[index].directory, items[index].name)
            verification.files += 1
            switch outcome {
            case .success(.matches(let bytes)):
                verification.bytes += bytes
            case .success(.mismatch(let reason)):
                verification.mismatches.append(RestoreProblem(path: path, reason: "verification failed: \(reason)"))
            case .failure(let error):
                verification.mismatches.append(RestoreProblem(path: path, reason: "verification failed: cannot read: \(error.code)"))
            }
            return .proceed
        }
        return verification
    }

    /// Opens a restored regular file for reading without touching its
    /// access time (`O_NOATIME`, which only the owner or root may use), and
    /// without blocking should something else, a fifo, be there now.
    private static func openForReading(_ name: FilePath, in directory: FileDescriptor) throws(SystemError) -> FileDescriptor {
        let options: FileDescriptor.OpenOptions = [.noFollow, .nonBlocking]
        let file: FileDescriptor
        do throws(SystemError) {
            file = try FileDescriptor.open(name, .readOnly, options: options.union(.noAccessTime), relativeTo: directory)
        } catch where error.code == .notPermitted {
            file = try FileDescriptor.open(name, .readOnly, options: options, relativeTo: directory)
        }
        do throws(SystemError) {
            guard try file.status().type == .regular else {
                throw SystemError(.invalidArgument, operation: "open", path: name)
            }
        } catch {
            try? file.close()
            throw error
        }
        return file
    }
}
