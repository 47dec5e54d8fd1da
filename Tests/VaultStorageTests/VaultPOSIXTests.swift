import Foundation
import Glibc
import Testing
import VaultPOSIX

@Suite("VaultPOSIX")
struct VaultPOSIXTests {
    @Test func nonUTF8NamesAreListedAsBytes() throws {
        let folder = try TemporaryDirectory()
        let names: [[UInt8]] = [[0x66, 0xFF, 0xFE, 0x2E], [0xC3, 0x28], Array("plain".utf8)]
        let directory = try FileDescriptor.open(FilePath(folder.path), .readOnly, options: [.directory])
        defer { try? directory.close() }
        for name in names {
            let file = try FileDescriptor.open(FilePath(bytes: name), .writeOnly, options: [.create, .exclusive], relativeTo: directory)
            try file.close()
        }
        try FileSystem.makeDirectory(FilePath(bytes: [0x80, 0x81]), relativeTo: directory)

        let stream = try DirectoryStream.open(FilePath(folder.path))
        var entries: [[UInt8]: FileType] = [:]
        while let entry = try stream.next() {
            entries[entry.name] = entry.type
            let status = try FileSystem.status(of: FilePath(bytes: entry.name), relativeTo: stream.descriptor)
            #expect(status.inode == entry.inode)
        }
        try stream.close()
        #expect(entries == [names[0]: .regular, names[1]: .regular, names[2]: .regular, [0x80, 0x81]: .directory])
        #expect(try FileSystem.status(of: FilePath(folder.path).appending(FilePath(bytes: names[0]))).type == .regular)
        #expect(FilePath(bytes: names[0]).description == "f\u{FFFD}\u{FFFD}.")
    }

    @Test func noFollowRefusesASymbolicLink() throws {
        let folder = try TemporaryDirectory()
        try writeFile(folder.appending("target"), [1])
        #expect(symlink(folder.appending("target"), folder.appending("link")) == 0)
        let link = FilePath(folder.appending("link"))
        let error = #expect(throws: SystemError.self) { try FileDescriptor.open(link, .readOnly, options: [.noFollow]) }
        #expect(error?.code == .tooManySymbolicLinkLevels)
        #expect(error?.operation == "open")
        #expect(error?.path == link)
        // Without the option the link is followed.
        let file = try FileDescriptor.open(link, .readOnly)
        #expect(try file.closeAfter { () throws(SystemError) in try file.status().type } == .regular)
        #expect(try FileSystem.status(of: link, followSymbolicLinks: false).type == .symbolicLink)
        #expect(try FileSystem.status(of: link).type == .regular)
    }

    @Test func openatExclusiveRefusesAnExistingFile() throws {
        let folder = try TemporaryDirectory()
        let directory = try FileDescriptor.open(FilePath(folder.path), .readOnly, options: [.directory])
        defer { try? directory.close() }
        let first = try FileDescriptor.open("object", .writeOnly, options: [.create, .exclusive], relativeTo: directory)
        try first.writeAll([1, 2, 3])
        try first.close()
        let error = #expect(throws: SystemError.self) {
            try FileDescriptor.open("object", .writeOnly, options: [.create, .exclusive], relativeTo: directory)
        }
        #expect(error?.code == .fileExists)
        #expect(error?.operation == "openat")
        #expect(error?.description == "openat 'object': File exists")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("object"))) == Data([1, 2, 3]))
    }

    @Test func errorDescriptionsNameTheCallThePathAndTheReason() throws {
        let error = #expect(throws: SystemError.self) { try FileDescriptor.open("/nonexistent-vault/x", .readOnly) }
        #expect(error?.description == "open '/nonexistent-vault/x': No such file or directory")
        #expect(error?.code == .noSuchFileOrDirectory)
        #expect(Errno.permissionDenied.description == "Permission denied")
        #expect(Errno(rawValue: ENOSPC) == .noSpace)
        let rename = SystemError(.improperLink, operation: "renameat", path: "/a", destination: "/b")
        #expect(rename.description == "renameat '/a' to '/b': Invalid cross-device link")
    }

    @Test func aPathWithANulByteIsInvalid() throws {
        let error = #expect(throws: SystemError.self) { try FileDescriptor.open(FilePath(bytes: [0x2F, 0x00, 0x61]), .readOnly) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func readsAndWritesWholeBuffers() throws {
        let folder = try TemporaryDirectory()
        let path = FilePath(folder.appending("file"))
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = try FileDescriptor.open(path, .readWrite, options: [.create, .truncate], permissions: 0o640)
        try writer.writeAll(bytes)
        try [UInt8]([0xEE, 0xEF]).withUnsafeBytes { buffer in
            try writer.writeAll(toAbsoluteOffset: 10, buffer)
        }
        try writer.dataSync()
        try writer.sync()
        try writer.close()

        var expected = bytes
        expected[10] = 0xEE
        expected[11] = 0xEF
        let reader = try FileDescriptor.open(path, .readOnly)
        defer { try? reader.close() }
        var buffer = [UInt8](repeating: 0, count: 150_000)
        let count = try buffer.withUnsafeMutableBytes { buffer in try reader.read(into: buffer) }
        #expect(count == 100_000)  // short only at the end of the file
        #expect(Array(buffer.prefix(count)) == expected)
        #expect(try reader.read(fromAbsoluteOffset: 5, count: 10) == Array(expected[5..<15]))
        #expect(try reader.read(fromAbsoluteOffset: 99_990, count: 100) == Array(expected[99_990...]))
        #expect(try reader.read(fromAbsoluteOffset: 200_000, count: 10) == [])

        let status = try reader.status()
        #expect(status.type == .regular)
        #expect(status.size == 100_000)
        #expect(status.linkCount == 1)
        #expect(status.userID == geteuid())
        #expect(status.permissions == 0o640 & ~currentUmask())
        #expect(status.blocks > 0)
        let now = FileTime.now
        #expect(status.modificationTime <= now && status.modificationTime.seconds > now.seconds - 60)
        #expect(status.changeTime >= status.modificationTime)
        #expect(try FileSystem.status(of: path) == status)
    }

    @Test func renameNoReplaceRefusesAnExistingDestination() throws {
        let folder = try TemporaryDirectory()
        try writeFile(folder.appending("a"), [1])
        try writeFile(folder.appending("b"), [2])
        let directory = try FileDescriptor.open(FilePath(folder.path), .readOnly, options: [.directory])
        defer { try? directory.close() }
        let error = #expect(throws: SystemError.self) {
            try FileSystem.renameNoReplace("a", relativeTo: directory, to: "b", relativeTo: directory)
        }
        #expect(error?.code == .fileExists)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("b"))) == Data([2]))

        try FileSystem.renameNoReplace("a", relativeTo: directory, to: "c", relativeTo: directory)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("c"))) == Data([1]))
        try FileSystem.rename("c", relativeTo: directory, to: "b", relativeTo: directory)  // replaces
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("b"))) == Data([1]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["b"])
    }

    @Test func makeAndRemove() throws {
        let folder = try TemporaryDirectory()
        let sub = FilePath(folder.appending("sub"))
        try FileSystem.makeDirectory(sub, permissions: 0o700)
        #expect(try FileSystem.status(of: sub).type == .directory)
        #expect((#expect(throws: SystemError.self) { try FileSystem.makeDirectory(sub) })?.code == .fileExists)
        #expect((#expect(throws: SystemError.self) { try FileSystem.removeFile(sub) })?.code == .isDirectory)
        #expect((#expect(throws: SystemError.self) { try DirectoryStream.open(FilePath(folder.appending("none"))) })?.code == .noSuchFileOrDirectory)
        try writeFile(folder.appending("sub/file"), [])
        #expect((#expect(throws: SystemError.self) { try DirectoryStream.open(FilePath(folder.appending("sub/file"))) })?.code == .notDirectory)
        try FileSystem.removeFile(sub.appending("file"))
        #expect((#expect(throws: SystemError.self) { try FileSystem.removeFile(sub.appending("file")) })?.code == .noSuchFileOrDirectory)
    }

    @Test func closeAfterClosesTheDescriptor() throws {
        let folder = try TemporaryDirectory()
        let file = try FileDescriptor.open(FilePath(folder.path), .readOnly, options: [.directory])
        #expect(fcntl(file.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        let size = try file.closeAfter { () throws(SystemError) in try file.status().type }
        #expect(size == .directory)
        #expect(fcntl(file.rawValue, F_GETFD) == -1)
        #expect(openFiles(under: folder.path).isEmpty)
    }

    @Test func currentDirectoryIsAbsolute() throws {
        let current = try FileSystem.currentDirectory()
        #expect(current.isAbsolute)
        #expect(current.description == FileManager.default.currentDirectoryPath)
        #expect(FilePath("/a").appending("b") == "/a/b")
        #expect(FilePath("/a/").appending("b") == "/a/b")
    }
}

/// The process's file-creation mask.
private func currentUmask() -> UInt32 {
    let mask = umask(0o022)
    umask(mask)
    return UInt32(mask)
}
