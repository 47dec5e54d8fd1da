import VaultOperations
import VaultPOSIX

/// Writes messages for the user to standard error.
enum StandardError {
    /// Writes one line, its control characters escaped
    /// (``PrintablePath/terminalSafe(_:)``): a name from a repository or a
    /// file system can neither split it nor send a terminal escape sequence.
    static func line(_ text: String) {
        var line = PrintablePath.terminalSafe(text)
        line.append("\n")
        line.withUTF8 { FileDescriptor.standardError.writeIgnoringErrors(UnsafeRawBufferPointer($0)) }
    }

    /// Whether standard error is a terminal.
    static var isTerminal: Bool { Terminal.isTerminal(.standardError) }
}
