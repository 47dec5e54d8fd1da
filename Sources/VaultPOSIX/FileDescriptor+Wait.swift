import Glibc

extension FileDescriptor {
    /// Waits until the descriptor has input to read, or its end, or an
    /// error to report (`poll`), at most `milliseconds`.
    ///
    /// - Returns: Whether a read would not block now.
    /// - Throws: ``SystemError`` from `poll`.
    package func waitForInput(milliseconds: Int32) throws(SystemError) -> Bool {
        var request = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        switch retryingInterrupts({ poll(&request, 1, milliseconds) }) {
        case .success(let ready): return ready > 0
        case .failure(let code): throw SystemError(code, operation: "poll")
        }
    }

    /// Reads what is there, at most `buffer.count` bytes, with one `read`
    /// (retried when a signal interrupts it).
    ///
    /// - Returns: The number of bytes read; 0 at the end of the input.
    /// - Throws: ``SystemError`` from `read`.
    package func readSome(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        switch retryingInterrupts({ Glibc.read(rawValue, buffer.baseAddress, buffer.count) }) {
        case .success(let count): return count
        case .failure(let code): throw SystemError(code, operation: "read")
        }
    }
}
