/// A failed system call: the error number, the operation and the path.
///
/// Its ``description`` reads like the shell's, e.g.
/// `open '/x/y': Permission denied`.
package struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error number the call failed with.
    package var code: Errno
    /// The system call, e.g. `open`, `renameat2`.
    package var operation: String
    /// The path the call concerned, when there is one.
    ///
    /// Calls relative to a directory descriptor record the relative path;
    /// callers that know the directory may replace it with the full path.
    package var path: FilePath?
    /// The second path of a two-path call (the destination of a rename).
    package var destination: FilePath?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The error number.
    ///   - operation: The system call that failed.
    ///   - path: The path it concerned, if any.
    ///   - destination: The second path of a two-path call, if any.
    package init(_ code: Errno, operation: String, path: FilePath? = nil, destination: FilePath? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.destination = destination
    }

    /// `operation 'path': reason`, or `operation 'path' to 'destination': reason`.
    package var description: String {
        var text = operation
        if let path {
            text += " '\(path)'"
        }
        if let destination {
            text += " to '\(destination)'"
        }
        return text + ": \(code)"
    }
}
