#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// Standard input (0).
    package static let standardInput = FileDescriptor(rawValue: 0)
    /// Standard output (1).
    package static let standardOutput = FileDescriptor(rawValue: 1)
    /// Standard error (2).
    package static let standardError = FileDescriptor(rawValue: 2)

    /// Opens `/dev/null` in place of each of descriptors 0–2 that is closed,
    /// so that no file opened later becomes "standard input" or "standard
    /// output". Call first thing, before any other file is opened.
    ///
    /// - Returns: Whether standard input was closed.
    @discardableResult
    package static func reopenClosedStandardDescriptors() -> Bool {
        var inputWasClosed = false
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            if descriptor == 0 {
                inputWasClosed = true
            }
            // open() takes the lowest free descriptor: this one.
            _ = Glibc.open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
        }
        return inputWasClosed
    }

    /// Writes `bytes` whole, retrying after signals and short writes, and
    /// gives up silently on any other error (for messages to the user,
    /// where there is no one left to tell).
    package func writeIgnoringErrors(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(rawValue, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            if written == 0 { return }
            offset += written
        }
    }
}
