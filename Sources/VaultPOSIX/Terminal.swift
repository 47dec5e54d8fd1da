#if canImport(Glibc)
import Glibc
#endif

/// The controlling terminal and terminal-ness of descriptors.
package enum Terminal {
    /// Whether `descriptor` refers to a terminal.
    package static func isTerminal(_ descriptor: FileDescriptor) -> Bool {
        isatty(descriptor.rawValue) == 1
    }

    /// Asks on the controlling terminal (`/dev/tty`) with echo turned off
    /// and reads one line.
    ///
    /// - Parameter prompt: Written to the terminal first.
    /// - Returns: The line without its newline, or nil when the process has
    ///   no controlling terminal.
    package static func readSecretLine(prompt: String) -> [UInt8]? {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else { return nil }
        defer { Glibc.close(tty) }
        var original = termios()
        let hasTerminalSettings = tcgetattr(tty, &original) == 0
        if hasTerminalSettings {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if hasTerminalSettings {
                tcsetattr(tty, TCSAFLUSH, &original)
                _ = "\n".withCString { write(tty, $0, 1) }
            }
        }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(tty, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return bytes
    }
}
