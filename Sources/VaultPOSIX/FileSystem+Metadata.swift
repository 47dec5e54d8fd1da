import Glibc
internal import CLinuxShims

extension FileSystem {
    /// The target of a symbolic link (`readlinkat`).
    ///
    /// - Parameters:
    ///   - path: The link.
    ///   - directory: The base for a relative `path`, or `nil`.
    /// - Returns: The target's bytes, unchanged.
    /// - Throws: ``SystemError``; `EINVAL` when `path` is not a symbolic link.
    package static func linkTarget(of path: FilePath, relativeTo directory: FileDescriptor? = nil) throws(SystemError) -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = try pathCall("readlinkat", path) { cPath in
                buffer.withUnsafeMutableBytes { readlinkat(directory?.rawValue ?? AT_FDCWD, cPath, $0.baseAddress!.assumingMemoryBound(to: CChar.self), capacity) }
            }
            if count < capacity {
                return Array(buffer.prefix(count))
            }
            capacity *= 4
        }
    }

    /// The extended attributes of a file, not following symbolic links
    /// (`llistxattr`, `lgetxattr`).
    ///
    /// A file system without extended attributes gives an empty list.
    /// Attributes that vanish between listing and reading are skipped.
    ///
    /// - Parameter path: The file.
    /// - Returns: Name and value pairs, in the order the file system lists them.
    /// - Throws: ``SystemError`` from `llistxattr` or `lgetxattr`.
    package static func extendedAttributes(of path: FilePath) throws(SystemError) -> [(name: [UInt8], value: [UInt8])] {
        let names = try sizedRead("llistxattr", path) { cPath, buffer, size in llistxattr(cPath, buffer, size) }
        guard let names, !names.isEmpty else { return [] }
        var result: [(name: [UInt8], value: [UInt8])] = []
        for name in names.split(separator: 0) {
            let nameBytes = Array(name)
            let value = try (nameBytes + [0]).withUnsafeBufferPointer { namePointer throws(SystemError) in
                try namePointer.withMemoryRebound(to: CChar.self) { cName throws(SystemError) in
                    try sizedRead("lgetxattr", path) { cPath, buffer, size in lgetxattr(cPath, cName.baseAddress!, buffer, size) }
                }
            }
            if let value {
                result.append((nameBytes, value))
            }
        }
        return result
    }

    /// Reads a variable-sized value with the size-query-then-read protocol
    /// of the xattr calls, retrying when the value grows in between.
    ///
    /// - Returns: The bytes, or `nil` when the value does not exist
    ///   (`ENODATA`) or the file system does not support it (`ENOTSUP`).
    private static func sizedRead(
        _ operation: String, _ path: FilePath, _ call: (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    ) throws(SystemError) -> [UInt8]? {
        while true {
            let size: Int
            do {
                size = try pathCall(operation, path) { cPath in call(cPath, nil, 0) }
            } catch where error.code.rawValue == ENODATA || error.code == .notSupported {
                return nil
            }
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            do {
                let count = try pathCall(operation, path) { cPath in
                    buffer.withUnsafeMutableBytes { call(cPath, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
                }
                return Array(buffer.prefix(count))
            } catch where error.code.rawValue == ERANGE {
                continue  // It grew since the size query.
            } catch where error.code.rawValue == ENODATA || error.code == .notSupported {
                return nil
            }
        }
    }
}
