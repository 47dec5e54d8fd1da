#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VaultOperations

/// Writes messages for the user to standard error.
enum StandardError {
    /// Writes one line, its control characters escaped
    /// (``PrintablePath/terminalSafe(_:)``): a name from a repository or a
    /// file system can neither split it nor send a terminal escape sequence.
    static func line(_ text: String) {
        var line = PrintablePath.terminalSafe(text)
        line.append("\n")
        line.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Whether standard error is a terminal.
    static var isTerminal: Bool { isatty(2) == 1 }
}
