import Foundation
import Testing
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// ``Repository/openCopy(at:)``: a mirror opened with the source's master
/// keys, without a second scrypt, only when it holds the very key file
/// the password opened in the source.
@Suite("Repository: opening a copy with the source's keys")
struct OpenCopyTests {
    /// A repository opened with its password (as a command opens it), and a byte-for-byte copy.
    struct Copied {
        let source: TestRepository
        let opened: Repository
        let copy: LocalDirectoryStorage

        init(encrypted: Bool = true) async throws {
            source = try await TestRepository(encrypted: encrypted)
            opened = try await Repository.open(source.storage) { "correct horse" }
            copy = try LocalDirectoryStorage.create(at: source.directory.appending("copy"))
            for kind in ObjectKind.allCases where kind != .locks {
                if kind == .config {
                    try await copy.put(try await source.storage.get(.config), as: .config)
                    continue
                }
                for info in try await source.storage.listAll(kind) {
                    try await copy.put(try await source.storage.get(info.name), as: info.name)
                }
            }
        }

        var keyFile: ObjectName {
            get throws { try #require(opened.openedKeyFile) }
        }
    }

    @Test("an identical copy opens with the source's keys and config")
    func identicalCopy() async throws {
        let copied = try await Copied()
        let reused = try #require(await copied.opened.openCopy(at: copied.copy))
        let derived = try await Repository.open(copied.copy) { "correct horse" }
        #expect(reused.keys == derived.keys)
        #expect(reused.config == derived.config)
        #expect(reused.openedKeyFile == derived.openedKeyFile)
    }

    @Test("the key file missing, damaged or replaced in the copy, another repository's config, or a plain source: no reuse",
          arguments: ["missing", "damaged", "replaced", "other config", "plain"])
    func noReuse(change: String) async throws {
        let copied = try await Copied(encrypted: change != "plain")
        let copy = copied.copy
        switch change {
        case "missing":
            try await copy.delete(try copied.keyFile)
        case "damaged":
            // Same name, one bit flipped: its bytes no longer hash to its name.
            try flipByte(at: 40, ofFileAt: copied.source.directory.appending("copy/keys/\(try copied.keyFile.name)"))
        case "replaced":
            // The copy's key files are another password's, for the same keys: the password used here does not open them.
            let other = try await Repository.open(copy) { "correct horse" }
            _ = try await other.addKey(password: "another password", kdf: testKDF)
            try await copy.delete(try copied.keyFile)
        case "other config":
            let stranger = try await TestRepository()
            try await copy.delete(.config)
            try await copy.put(try await stranger.storage.get(.config), as: .config)
        default:
            break
        }
        #expect(await copied.opened.openCopy(at: copy) == nil)
        // The full open then says what is wrong, as before.
        switch change {
        case "missing", "damaged", "replaced":
            // No key file left at all, or none the password opens.
            let error = try await #require(throws: RepositoryError.self) { _ = try await Repository.open(copy) { "correct horse" } }
            #expect(error.code == (change == "missing" ? .damaged : .wrongPassword))
        case "other config":
            await #expect(throws: RepositoryError.self) { _ = try await Repository.open(copy) { "correct horse" } }
        default:
            #expect(try await Repository.open(copy) { "unused" }.keys == nil)
        }
    }
}
