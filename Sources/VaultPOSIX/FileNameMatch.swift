import Glibc

/// Shell-glob matching of names and paths (`fnmatch(3)`): `*`, `?` and
/// `[…]`, with a leading `.` matched only explicitly (`FNM_PERIOD`).
package struct FileNameMatch: Sendable, Hashable {
    private let pattern: [CChar]
    private let flags: Int32

    /// glibc's `FNM_CASEFOLD` (`1 << 4`), which the Glibc module leaves out:
    /// `<fnmatch.h>` declares it only under `_GNU_SOURCE`.
    private static let caseFold: Int32 = 1 << 4

    /// Prepares a pattern.
    ///
    /// - Parameters:
    ///   - pattern: The glob.
    ///   - ignoresCase: Whether letters match either case.
    package init(_ pattern: String, ignoresCase: Bool = false) {
        self.pattern = Array(pattern.utf8CString)
        flags = FNM_PERIOD | (ignoresCase ? Self.caseFold : 0)
    }

    /// Whether `subject` (a name or a path, any bytes) matches; a subject
    /// holding a NUL byte never does.
    package func matches(_ subject: [UInt8]) -> Bool {
        guard !subject.contains(0) else { return false }
        return (subject + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cSubject in
                guard let base = cSubject.baseAddress else { return false }
                return fnmatch(pattern, base, flags) == 0
            }
        }
    }
}
