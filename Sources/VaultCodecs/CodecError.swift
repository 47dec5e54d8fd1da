/// An error from hashing, encryption, key derivation or compression.
///
/// Carries a ``Code`` to branch on and a one-line ``message`` that says what
/// went wrong in words a user can act on.
package struct CodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    package enum Code: String, Sendable, Hashable, CustomStringConvertible {
        /// A sealed message failed authentication: wrong key, or the bytes were altered.
        case authenticationFailed
        /// The input ends before its structure does.
        case truncated
        /// The input is not a valid encoding.
        case corrupt
        /// Decoding would produce more bytes than the caller allowed.
        case outputTooLarge
        /// A key has the wrong length or form.
        case invalidKey
        /// A parameter is out of its valid range.
        case invalidParameter
        /// The underlying C library reported a failure.
        case library

        /// The case name, e.g. `authenticationFailed`.
        package var description: String { rawValue }
    }

    /// What kind of failure this is.
    package var code: Code

    /// A one-line explanation.
    package var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: A one-line explanation.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, e.g. `truncated: the zlib stream ends early (12 bytes of input)`.
    package var description: String { "\(code): \(message)" }
}
