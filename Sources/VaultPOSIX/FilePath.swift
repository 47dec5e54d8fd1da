/// A file system path as the bytes the kernel sees.
///
/// Linux paths are byte strings that need not be UTF-8, so a path keeps
/// its bytes; a `String` converts through UTF-8. The only byte a path
/// cannot hold is NUL: calls given such a path fail with `EINVAL`.
package struct FilePath: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL.
    package let bytes: [UInt8]

    /// Creates a path from its bytes.
    ///
    /// - Parameter bytes: The path, without a terminating NUL.
    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Creates a path from a string's UTF-8 encoding.
    ///
    /// - Parameter string: The path.
    package init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    /// Creates a path from a string literal.
    ///
    /// - Parameter value: The path.
    package init(stringLiteral value: String) {
        self.init(value)
    }

    /// The path as text, with bytes that are not UTF-8 shown as U+FFFD.
    package var description: String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the path is absolute (starts with `/`).
    package var isAbsolute: Bool {
        bytes.first == UInt8(ascii: "/")
    }

    /// This path followed by `component`, joined by one `/`.
    ///
    /// - Parameter component: A relative path to append.
    /// - Returns: The joined path.
    package func appending(_ component: FilePath) -> FilePath {
        if bytes.isEmpty { return component }
        if bytes.last == UInt8(ascii: "/") { return FilePath(bytes: bytes + component.bytes) }
        return FilePath(bytes: bytes + [UInt8(ascii: "/")] + component.bytes)
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    ///
    /// - Parameter body: A closure that must not keep the pointer.
    /// - Returns: What `body` returns, or `nil` when the path contains a NUL
    ///   byte and so cannot be passed to the kernel.
    package func withCString<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result? {
        guard !bytes.contains(0) else { return nil }
        return (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
