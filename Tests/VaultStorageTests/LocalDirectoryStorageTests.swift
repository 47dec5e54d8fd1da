import Foundation
import Glibc
import Testing
import VaultPOSIX
@testable import VaultStorage
import VaultStorageTesting

/// Makes a fresh local storage in its own temporary folder for each
/// conformance check; the folder is removed when the check ends.
private func conformance(
    _ check: StorageConformance.Check, publishing: LocalDirectoryStorage.Publishing
) async throws {
    let folder = try TemporaryDirectory()
    let root = folder.appending("repo")
    try await StorageConformance {
        _ = try LocalDirectoryStorage.create(at: root)
        return try LocalDirectoryStorage(at: root, publishing: publishing)
    }.run(check)
    #expect(openFiles(under: root).isEmpty)
}

@Suite("LocalDirectoryStorage")
struct LocalDirectoryStorageTests {
    @Test("conformance", arguments: StorageConformance.Check.allCases)
    func conformance(_ check: StorageConformance.Check) async throws {
        try await VaultStorageTests.conformance(check, publishing: .renameNoReplace)
    }

    /// The check-then-rename fallback for file systems without
    /// `RENAME_NOREPLACE` keeps every promise but one: concurrent puts of
    /// one name race (documented on ``LocalDirectoryStorage``).
    @Test(
        "conformance, check-then-rename fallback",
        arguments: StorageConformance.Check.allCases.filter { $0 != .concurrentPutsOfOneNameStoreOne })
    func conformanceOfFallback(_ check: StorageConformance.Check) async throws {
        try await VaultStorageTests.conformance(check, publishing: .checkThenRename)
    }

    @Test func systemErrorsMapToStorageErrorCodes() {
        let expected: [(Int32, StorageError.Code)] = [
            (ENOENT, .notFound), (EEXIST, .alreadyExists), (ENOSPC, .noSpace), (EDQUOT, .noSpace),
            (EACCES, .permissionDenied), (EPERM, .permissionDenied), (EROFS, .permissionDenied),
            (EIO, .io), (EISDIR, .io), (ENOTDIR, .io), (ELOOP, .io),
        ]
        for (code, storageCode) in expected {
            #expect(StorageError.Code(Errno(rawValue: code)) == storageCode, "errno \(code)")
        }
        let error = StorageError(
            SystemError(.noSpace, operation: "write", path: "/repo/keys/.tmp-1"), "cannot store", .config)
        #expect(error.code == .noSpace)
        #expect(error.name == .config)
        #expect(error.message == "cannot store config: write '/repo/keys/.tmp-1': No space left on device")
    }

    @Test func createMakesEveryFolder() throws {
        let folder = try TemporaryDirectory()
        let storage = try LocalDirectoryStorage.create(at: folder.appending("repo"))
        #expect(storage.location == folder.appending("repo"))
        var isDirectory: ObjCBool = false
        for kind in ["keys", "locks", "snapshots", "index", "data"] {
            #expect(FileManager.default.fileExists(atPath: folder.appending("repo/\(kind)"), isDirectory: &isDirectory) && isDirectory.boolValue, "\(kind)")
        }
        let shards = try FileManager.default.contentsOfDirectory(atPath: folder.appending("repo/data"))
        #expect(shards.count == 256)
        #expect(Set(shards) == Set((0..<256).map { String(format: "%02x", $0) }))
        #expect(!FileManager.default.fileExists(atPath: folder.appending("repo/config")))
    }

    @Test func createInAnEmptyExistingFolder() async throws {
        let folder = try TemporaryDirectory()
        let storage = try LocalDirectoryStorage.create(at: folder.path)
        try await storage.put([1], as: .config)
        #expect(try await storage.get(.config) == [1])
    }

    @Test func createRefusesANonEmptyFolder() throws {
        let folder = try TemporaryDirectory()
        try writeFile(folder.appending("notes.txt"), [7])
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage.create(at: folder.path) }
        #expect(error?.code == .alreadyExists)
        #expect(error?.message.contains("not empty") == true)
        #expect(error?.message.contains(folder.path) == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
    }

    @Test func createRefusesAnExistingRepository() throws {
        let folder = try TemporaryDirectory()
        _ = try LocalDirectoryStorage.create(at: folder.appending("repo"))
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage.create(at: folder.appending("repo")) }
        #expect(error?.code == .alreadyExists)
    }

    @Test func createRefusesAFile() throws {
        let folder = try TemporaryDirectory()
        try writeFile(folder.appending("file"), [])
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage.create(at: folder.appending("file")) }
        #expect(error?.code == .alreadyExists)
    }

    @Test func createNeedsTheParentFolder() throws {
        let folder = try TemporaryDirectory()
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage.create(at: folder.appending("unmounted/repo")) }
        #expect(error?.code == .locationUnavailable)
        #expect(error?.message.contains("parent folder does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("unmounted")))
    }

    @Test func openingAMissingRootIsLocationUnavailable() throws {
        let folder = try TemporaryDirectory()
        let missing = folder.appending("nowhere")
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage(at: missing) }
        #expect(error?.code == .locationUnavailable)
        #expect(error?.message == "no repository folder at '\(missing)': stat '\(missing)': No such file or directory")
    }

    @Test func openingAFileAsRootIsLocationUnavailable() throws {
        let folder = try TemporaryDirectory()
        try writeFile(folder.appending("file"), [1])
        let error = #expect(throws: StorageError.self) { try LocalDirectoryStorage(at: folder.appending("file")) }
        #expect(error?.code == .locationUnavailable)
        #expect(error?.message == "'\(folder.appending("file"))' is not a folder")
    }

    @Test func aRelativeRootIsMadeAbsolute() throws {
        let storage = try LocalDirectoryStorage(at: ".")
        #expect(storage.location == FileManager.default.currentDirectoryPath)
    }

    @Test func aRootThatVanishesIsLocationUnavailable() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        try FileManager.default.removeItem(atPath: root)
        let getError = await #expect(throws: StorageError.self) { try await storage.get(.config) }
        #expect(getError?.code == .locationUnavailable)
        #expect(getError?.message.contains("no longer available") == true)
        let putError = await #expect(throws: StorageError.self) {
            try await storage.put([1], as: StorageConformance.name(.keys, 1))
        }
        #expect(putError?.code == .locationUnavailable)
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func leftoverTemporaryFilesAndStrangersAreNeverObjects() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        let key = try StorageConformance.name(.keys, 1)
        let pack = try StorageConformance.dataName(0xab)
        try await storage.put([1], as: key)
        try await storage.put([2, 2], as: pack)
        let misplacedPack = try StorageConformance.dataName(0xcd)
        let strangers = [
            "keys/.tmp-0123456789abcdef", "data/ab/.tmp-0123456789abcdef", ".tmp-0123456789abcdef",
            "keys/UPPER", "keys/notes.txt", "snapshots/.hidden", "index/\(String(repeating: "a", count: 129))",
            "data/ab/\(misplacedPack.name)", "data/ab/abcd", "data/zz", "locks/" + "0".repeated(64) + "~",
        ]
        for stranger in strangers {
            try writeFile(root + "/" + stranger, [9, 9, 9])
        }
        try FileManager.default.createDirectory(atPath: root + "/index/" + "1".repeated(64), withIntermediateDirectories: false)
        #expect(try await storage.listAll(.keys).map { [$0.name: $0.size] } == [[key: 1]])
        #expect(try await storage.listAll(.data).map { [$0.name: $0.size] } == [[pack: 2]])
        for kind in [ObjectKind.locks, .snapshots, .index, .config] {
            #expect(try await storage.listAll(kind).isEmpty, "\(kind)")
        }
        let error = await #expect(throws: StorageError.self) { try await storage.get(misplacedPack) }
        #expect(error?.code == .notFound)
    }

    @Test func aCrashBeforeTheRenameLeavesNoObject() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        let name = try StorageConformance.name(.snapshots, 5)
        // What a put that died after writing its temporary file leaves behind.
        let leftover = root + "/snapshots/.tmp-00000000deadbeef"
        try writeFile(leftover, [1, 2, 3])
        let error = await #expect(throws: StorageError.self) { try await storage.get(name) }
        #expect(error?.code == .notFound)
        #expect(try await storage.exists(name) == false)
        #expect(try await storage.listAll(.snapshots).isEmpty)

        try await storage.put([4, 5], as: name)
        #expect(try await storage.get(name) == [4, 5])
        #expect(FileManager.default.fileExists(atPath: leftover))

        // A fresh temporary file might belong to a put still running elsewhere: kept.
        #expect(try await storage.removeStaleTemporaryFiles(olderThan: .seconds(3600)) == 0)
        #expect(FileManager.default.fileExists(atPath: leftover))
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, leftover, &times, 0) == 0)
        #expect(try await storage.removeStaleTemporaryFiles(olderThan: .seconds(3600)) == 1)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(try await storage.get(name) == [4, 5])
    }

    @Test func putsThatLoseARaceLeaveNoTemporaryFile() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        let name = try StorageConformance.name(.index, 3)
        // Writers that pass the early existence check together meet the
        // existing object at the rename, and must remove their temporary file.
        let stored = await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<16 {
                group.addTask { (try? await storage.put(StorageConformance.bytes(count: 256 * 1024, seed: UInt64(writer)), as: name)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(stored == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/index") == [name.name])
    }

    @Test func putRecreatesAMissingShardFolder() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        try FileManager.default.removeItem(atPath: root + "/data/ab")
        try FileManager.default.removeItem(atPath: root + "/locks")
        let pack = try StorageConformance.dataName(0xab)
        #expect(try await storage.listAll(.data).isEmpty)
        try await storage.put([1, 2], as: pack)
        try await storage.put([3], as: StorageConformance.name(.locks, 1))
        #expect(try await storage.get(pack) == [1, 2])
        #expect(try await storage.listAll(.locks).count == 1)
    }

    @Test func noFileOfTheStorageIsLeftOpen() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        for index in 0..<20 {
            try await storage.put(StorageConformance.bytes(count: 100, seed: UInt64(index)), as: StorageConformance.dataName(index))
        }
        let name = try StorageConformance.dataName(3)
        _ = try await storage.get(name)
        _ = try await storage.get(name, range: 10..<20)
        _ = try await storage.stat(name)
        _ = try await storage.listAll(.data)
        _ = try await storage.listAll(.config)
        _ = try? await storage.get(name, range: 10..<200)
        _ = try? await storage.get(StorageConformance.dataName(999))
        _ = try? await storage.put([1], as: name)
        _ = try? await storage.delete(StorageConformance.name(.keys, 1))
        try await storage.delete(name)
        _ = try await storage.removeStaleTemporaryFiles(olderThan: .zero)
        #expect(openFiles(under: root) == [])

        // A listing holds its folder open while it runs, and closes it when
        // the consumer stops early.
        do {
            var iterator = storage.list(.data).makeAsyncIterator()
            #expect(try await iterator.next() != nil)
            #expect(openFiles(under: root).count == 1)
        }
        #expect(openFiles(under: root) == [])
    }

    @Test func putIntoAReadOnlyFolderIsPermissionDenied() async throws {
        let folder = try TemporaryDirectory()
        let root = folder.appending("repo")
        let storage = try LocalDirectoryStorage.create(at: root)
        #expect(chmod(root, 0o755) == 0)
        #expect(chmod(root + "/keys", 0o555) == 0)
        #expect(chmod(root + "/locks", 0o777) == 0)
        let key = try StorageConformance.name(.keys, 1)
        let lock = try StorageConformance.name(.locks, 1)

        let keyError: StorageError?
        if geteuid() == 0 {
            // Root ignores permission bits; run the puts as "nobody".
            let nobody = FileSystemUserExecutor(userID: 65534)
            defer { nobody.stop() }
            try #require(nobody.effectiveFileSystemUser == 65534, "cannot act as another user; the test cannot check permissions")
            (keyError) = try await withTaskExecutorPreference(nobody) {
                let error = await #expect(throws: StorageError.self) { try await storage.put([1], as: key) }
                // The same user may write where the bits allow it.
                try await storage.put([2], as: lock)
                return error
            }
        } else {
            keyError = await #expect(throws: StorageError.self) { try await storage.put([1], as: key) }
            try await storage.put([2], as: lock)
        }
        #expect(keyError?.code == .permissionDenied)
        #expect(keyError?.name == key)
        #expect(keyError?.message.hasPrefix("cannot store \(key): openat '\(root)/keys/.tmp-") == true, "\(keyError?.message ?? "")")
        #expect(keyError?.message.hasSuffix("': Permission denied") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/keys").isEmpty)
        #expect(try await storage.get(lock) == [2])
    }
}

extension String {
    fileprivate func repeated(_ count: Int) -> String {
        String(repeating: self, count: count)
    }
}
