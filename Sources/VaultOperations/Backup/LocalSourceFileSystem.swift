import VaultPOSIX

/// The file system a backup reads, through VaultPOSIX.
package struct LocalSourceFileSystem: SourceFileSystem {
    /// The local file system.
    package init() {}

    package func status(of path: [UInt8]) throws(SystemError) -> FileStatus {
        try FileSystem.status(of: FilePath(bytes: path), followSymbolicLinks: false)
    }

    package func listDirectory(_ path: [UInt8], _ entry: (_ name: [UInt8], _ status: Result<FileStatus, SystemError>) -> Void) throws(SystemError) {
        let directory = try DirectoryStream.open(FilePath(bytes: path))
        defer { try? directory.close() }
        while let next = try directory.next() {
            do {
                entry(next.name, .success(try FileSystem.status(of: FilePath(bytes: next.name), relativeTo: directory.descriptor, followSymbolicLinks: false)))
            } catch {
                entry(next.name, .failure(error))
            }
        }
    }

    package func linkTarget(of path: [UInt8]) throws(SystemError) -> [UInt8] {
        try FileSystem.linkTarget(of: FilePath(bytes: path))
    }

    package func extendedAttributes(of path: [UInt8]) throws(SystemError) -> [(name: [UInt8], value: [UInt8])] {
        try FileSystem.extendedAttributes(of: FilePath(bytes: path))
    }

    package func openFile(_ path: [UInt8]) throws(SystemError) -> any SourceFile {
        try FileDescriptor.open(FilePath(bytes: path), .readOnly, options: [.noFollow])
    }
}

extension FileDescriptor: SourceFile {}
