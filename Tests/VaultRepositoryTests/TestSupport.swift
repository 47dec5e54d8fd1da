import Foundation
import Testing
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("vault-test-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: bytes)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Cheap scrypt parameters: tests open repositories many times.
let testKDF = KeyFile.ScryptParameters(n: 16, r: 8, p: 1)

/// A fresh repository in a temporary directory.
struct TestRepository {
    let directory: TemporaryDirectory
    let storage: LocalDirectoryStorage
    let repository: Repository

    init(encrypted: Bool = true, password: String = "correct horse", packSize: Int = RepositoryConfig.defaultPackSize) async throws {
        directory = try TemporaryDirectory()
        storage = try LocalDirectoryStorage.create(at: directory.appending("repo"))
        let config = RepositoryConfig(isEncrypted: encrypted, compression: .zlib(level: 6), packSize: packSize)
        repository = try await Repository.create(in: storage, config: config, password: encrypted ? password : nil, kdf: testKDF)
    }

    /// The path of an object in the local layout.
    func path(of name: ObjectName) -> String {
        switch name.kind {
        case .config: directory.appending("repo/config")
        case .data: directory.appending("repo/data/\(name.name.prefix(2))/\(name.name)")
        default: directory.appending("repo/\(name.kind.rawValue)/\(name.name)")
        }
    }
}

/// Flips one bit of a file in place.
func flipByte(at offset: Int, ofFileAt path: String) throws {
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let position = offset >= 0 ? offset : bytes.count + offset
    bytes[position] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

