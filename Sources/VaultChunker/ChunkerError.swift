/// An error from the chunker: a parameter outside what FastCDC accepts.
///
/// `code` says which parameter was wrong; `message` is one line naming the
/// bad value and the allowed range, fit to show a user.
package struct ChunkerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    package enum Code: Sendable, Hashable {
        /// The minimum chunk size is outside 64 B – 1 MiB.
        case minSizeOutOfRange
        /// The average chunk size is outside 256 B – 4 MiB.
        case avgSizeOutOfRange
        /// The maximum chunk size is outside 1 KiB – 16 MiB.
        case maxSizeOutOfRange
        /// The sizes are not ordered minimum <= average <= maximum.
        case sizesOutOfOrder
        /// The normalization level is outside 0–3.
        case normalizationOutOfRange
        /// A gear table does not hold exactly 256 values.
        case gearTableSize
    }

    /// What kind of failure this is.
    package var code: Code
    /// One line describing the failure: the bad value and the allowed range.
    package var message: String

    /// Creates a chunker error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: One line naming the bad value and the allowed range.
    package init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    package var description: String { message }
}
