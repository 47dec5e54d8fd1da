import Foundation
import Glibc

/// A fresh folder under the system's temporary folder, for one test.
struct TemporaryDirectory: ~Copyable {
    /// The folder's absolute path.
    let path: String

    /// Creates the folder (mode 0755, so other users may look inside).
    init() throws {
        var template = Array("/tmp/vault-storage-tests-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: result)
        chmod(path, 0o755)
    }

    /// `path/relative`.
    func appending(_ relative: String) -> String {
        path + "/" + relative
    }

    deinit {
        // Restore write permission anywhere a test removed it, then remove all.
        if let paths = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in paths {
                chmod(path + "/" + relative, 0o700)
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Writes `bytes` to a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The descriptors this process has open on files under `folder`, as the
/// paths `/proc/self/fd` reports.
///
/// Checks by path rather than by count, so tests running in parallel do
/// not disturb each other.
func openFiles(under folder: String) -> [String] {
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return descriptors.compactMap { descriptor in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + descriptor) else {
            return nil
        }
        return target == folder || target.hasPrefix(folder + "/") ? target : nil
    }
}
