import Foundation
import VaultOperations
import VaultPOSIX

/// An in-memory ``SourceFileSystem`` for walker tests: entries can fail
/// any call, and can change between listing a directory and visiting it.
///
/// Used by one backup at a time, whose walk runs on one task.
final class FakeSourceFileSystem: SourceFileSystem, @unchecked Sendable {
    enum Kind {
        case file([UInt8])
        case directory
        case symbolicLink([UInt8])
    }

    /// The calls a fault can be injected into.
    enum Call: Hashable {
        case status, list, open, read, extendedAttributes, linkTarget
    }

    private var entries: [[UInt8]: (kind: Kind, inode: UInt64)] = [:]
    private var nextInode: UInt64 = 100
    private var faults: [Call: [[UInt8]: Errno]] = [:]
    private var afterListing: [[UInt8]: (FakeSourceFileSystem) -> Void] = [:]
    /// The calls made, in order: (call, path).
    private(set) var calls: [(Call, [UInt8])] = []

    static let time = FileTime(seconds: 1_700_000_000, nanoseconds: 0)

    init() {
        entries[Array("/".utf8)] = (.directory, 2)
    }

    /// Adds (or replaces) an entry; its parent directories must exist.
    func add(_ path: [UInt8], _ kind: Kind) {
        nextInode += 1
        entries[path] = (kind, nextInode)
    }

    func add(_ path: String, _ kind: Kind) {
        add(Array(path.utf8), kind)
    }

    /// Removes an entry and everything below it.
    func remove(_ path: [UInt8]) {
        entries = entries.filter { $0.key != path && !$0.key.starts(with: path + [UInt8(ascii: "/")]) }
    }

    /// Makes `call` on `path` fail with `code`.
    func fail(_ call: Call, _ path: String, _ code: Errno) {
        faults[call, default: [:]][Array(path.utf8)] = code
    }

    /// Runs `change` right after the directory `path` is listed.
    func afterListing(_ path: String, _ change: @escaping (FakeSourceFileSystem) -> Void) {
        afterListing[Array(path.utf8)] = change
    }

    private func check(_ call: Call, _ path: [UInt8]) throws(SystemError) {
        calls.append((call, path))
        if let code = faults[call]?[path] {
            throw SystemError(code, operation: "\(call)", path: FilePath(bytes: path))
        }
    }

    private func entry(_ path: [UInt8], _ operation: String) throws(SystemError) -> (kind: Kind, inode: UInt64) {
        guard let entry = entries[path] else {
            throw SystemError(.noSuchFileOrDirectory, operation: operation, path: FilePath(bytes: path))
        }
        return entry
    }

    private static func status(_ entry: (kind: Kind, inode: UInt64)) -> FileStatus {
        let (type, size, permissions): (FileType, Int, UInt32) = switch entry.kind {
        case .file(let bytes): (.regular, bytes.count, 0o644)
        case .directory: (.directory, 4096, 0o755)
        case .symbolicLink(let target): (.symbolicLink, target.count, 0o777)
        }
        return FileStatus(
            type: type, permissions: permissions, userID: 0, groupID: 0, size: Int64(size),
            modificationTime: time, changeTime: time, inode: entry.inode, device: 1)
    }

    func status(of path: [UInt8]) throws(SystemError) -> FileStatus {
        try check(.status, path)
        return Self.status(try entry(path, "lstat"))
    }

    func listDirectory(_ path: [UInt8], _ entry: (_ name: [UInt8], _ status: Result<FileStatus, SystemError>) -> Void) throws(SystemError) {
        try check(.list, path)
        guard case .directory = try self.entry(path, "open").kind else {
            throw SystemError(.notDirectory, operation: "open", path: FilePath(bytes: path))
        }
        let prefix = path.last == UInt8(ascii: "/") ? path : path + [UInt8(ascii: "/")]
        let children = entries.filter { $0.key.count > prefix.count && $0.key.starts(with: prefix) && !$0.key[prefix.count...].contains(UInt8(ascii: "/")) }
        for (childPath, child) in children {
            let name = Array(childPath[prefix.count...])
            if let code = faults[.status]?[childPath] {
                entry(name, .failure(SystemError(code, operation: "fstatat")))
            } else {
                entry(name, .success(Self.status(child)))
            }
        }
        if let change = afterListing[path] {
            afterListing[path] = nil
            change(self)
        }
    }

    func linkTarget(of path: [UInt8]) throws(SystemError) -> [UInt8] {
        try check(.linkTarget, path)
        guard case .symbolicLink(let target) = try entry(path, "readlink").kind else {
            throw SystemError(.invalidArgument, operation: "readlink", path: FilePath(bytes: path))
        }
        return target
    }

    func extendedAttributes(of path: [UInt8]) throws(SystemError) -> [(name: [UInt8], value: [UInt8])] {
        try check(.extendedAttributes, path)
        _ = try entry(path, "llistxattr")
        return []
    }

    func openFile(_ path: [UInt8]) throws(SystemError) -> any SourceFile {
        try check(.open, path)
        let entry = try entry(path, "open")
        if case .symbolicLink = entry.kind {
            throw SystemError(.tooManySymbolicLinkLevels, operation: "open", path: FilePath(bytes: path))
        }
        let bytes: [UInt8] = if case .file(let bytes) = entry.kind { bytes } else { [] }
        return File(status: Self.status(entry), bytes: bytes, readFault: faults[.read]?[path])
    }

    /// An open fake file.
    final class File: SourceFile {
        let fileStatus: FileStatus
        let bytes: [UInt8]
        let readFault: Errno?
        var offset = 0

        init(status: FileStatus, bytes: [UInt8], readFault: Errno?) {
            self.fileStatus = status
            self.bytes = bytes
            self.readFault = readFault
        }

        func status() throws(SystemError) -> FileStatus { fileStatus }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
            if let readFault { throw SystemError(readFault, operation: "read") }
            let count = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            return count
        }

        func read(fromAbsoluteOffset offset: Int64, count: Int) throws(SystemError) -> [UInt8] {
            if let readFault { throw SystemError(readFault, operation: "pread") }
            let start = min(Int(offset), bytes.count)
            return Array(bytes[start..<min(start + count, bytes.count)])
        }

        func close() throws(SystemError) {}
    }
}
