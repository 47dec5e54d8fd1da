import Foundation

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    /// Creates the directory in `parent` (default: the temporary directory).
    init(in parent: String? = nil) throws {
        let temporary = parent ?? NSTemporaryDirectory()
        let base = temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary
        var bytes = Array((base + "/vault-cli-XXXXXX").utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: bytes)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
