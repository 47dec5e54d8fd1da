import Glibc

extension FileDescriptor {
    /// Reads until `buffer` is full or the file ends (`read`).
    ///
    /// Retries interrupted calls and continues after short reads.
    ///
    /// - Parameter buffer: Where to put the bytes.
    /// - Returns: The number of bytes read; less than `buffer.count` only at
    ///   the end of the file.
    /// - Throws: ``SystemError`` from `read`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try readFully(into: buffer, operation: "read") { chunk, _ in
            Glibc.read(rawValue, chunk.baseAddress, chunk.count)
        }
    }

    /// Reads from `offset` until `buffer` is full or the file ends (`pread`).
    ///
    /// Leaves the file offset alone; retries interrupted calls and continues
    /// after short reads.
    ///
    /// - Parameters:
    ///   - offset: Where in the file to start.
    ///   - buffer: Where to put the bytes.
    /// - Returns: The number of bytes read; less than `buffer.count` only at
    ///   the end of the file.
    /// - Throws: ``SystemError`` from `pread`.
    package func read(fromAbsoluteOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try readFully(into: buffer, operation: "pread") { chunk, done in
            pread(rawValue, chunk.baseAddress, chunk.count, off_t(offset) + off_t(done))
        }
    }

    /// Reads up to `count` bytes from `offset` (`pread`).
    ///
    /// - Parameters:
    ///   - offset: Where in the file to start.
    ///   - count: How many bytes to read.
    /// - Returns: The bytes; fewer than `count` only at the end of the file.
    /// - Throws: ``SystemError`` from `pread`.
    package func read(fromAbsoluteOffset offset: Int64, count: Int) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(SystemError) {
                initialized = try read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at the file offset (`write`).
    ///
    /// Retries interrupted calls and continues after short writes.
    ///
    /// - Parameter bytes: What to write.
    /// - Throws: ``SystemError`` from `write`; `ENOSPC` when the disk is full.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try writeFully(bytes, operation: "write") { chunk, _ in
            Glibc.write(rawValue, chunk.baseAddress, chunk.count)
        }
    }

    /// Writes all of `bytes` at the file offset (`write`).
    ///
    /// - Parameter bytes: What to write.
    /// - Throws: ``SystemError`` from `write`.
    package func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var failure: SystemError?
        bytes.withUnsafeBytes { buffer in
            do throws(SystemError) { try writeAll(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` at `offset` (`pwrite`), leaving the file offset
    /// alone.
    ///
    /// - Parameters:
    ///   - offset: Where in the file to write.
    ///   - bytes: What to write.
    /// - Throws: ``SystemError`` from `pwrite`.
    package func writeAll(toAbsoluteOffset offset: Int64, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try writeFully(bytes, operation: "pwrite") { chunk, done in
            pwrite(rawValue, chunk.baseAddress, chunk.count, off_t(offset) + off_t(done))
        }
    }

    /// Flushes the file's data and metadata to the device (`fsync`).
    ///
    /// - Throws: ``SystemError`` from `fsync`; `EINVAL` on descriptors (or,
    ///   for directories, file systems) that cannot be synchronized.
    package func sync() throws(SystemError) {
        try check("fsync") { fsync(rawValue) }
    }

    /// Flushes the file's data, and only the metadata needed to read it back,
    /// to the device (`fdatasync`).
    ///
    /// - Throws: ``SystemError`` from `fdatasync`.
    package func dataSync() throws(SystemError) {
        try check("fdatasync") { fdatasync(rawValue) }
    }

    /// Describes the open file (`fstat`).
    ///
    /// - Returns: The file's status.
    /// - Throws: ``SystemError`` from `fstat`.
    package func status() throws(SystemError) -> FileStatus {
        var raw = stat()
        try check("fstat") { fstat(rawValue, &raw) }
        return FileStatus(raw)
    }

    private func check(_ operation: String, _ call: () -> Int32) throws(SystemError) {
        if case .failure(let code) = retryingInterrupts(call) {
            throw SystemError(code, operation: operation)
        }
    }

    private func readFully(
        into buffer: UnsafeMutableRawBufferPointer,
        operation: String,
        _ call: (UnsafeMutableRawBufferPointer, Int) -> Int
    ) throws(SystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            switch retryingInterrupts({ call(rest, done) }) {
            case .success(0): return done
            case .success(let count): done += count
            case .failure(let code): throw SystemError(code, operation: operation)
            }
        }
        return done
    }

    private func writeFully(
        _ bytes: UnsafeRawBufferPointer,
        operation: String,
        _ call: (UnsafeRawBufferPointer, Int) -> Int
    ) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            switch retryingInterrupts({ call(rest, done) }) {
            // A write of a non-empty buffer that writes nothing would loop
            // forever; report it as an input/output error.
            case .success(0): throw SystemError(.ioError, operation: operation)
            case .success(let count): done += count
            case .failure(let code): throw SystemError(code, operation: operation)
            }
        }
    }
}
