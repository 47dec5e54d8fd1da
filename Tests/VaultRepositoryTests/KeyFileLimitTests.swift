import Foundation
import Testing
import VaultCodecs
@testable import VaultRepository

/// scrypt parameters in a key file are untrusted: out-of-range values are
/// refused before any memory is allocated, and a derivation that would need
/// more than the cap fails with a clear error, never a hang or a crash.
@Suite("key files: scrypt caps")
struct KeyFileLimitTests {
    /// A valid key file's JSON, with its `kdf` fields replaced.
    static func keyFile(n: UInt64? = nil, r: UInt32? = nil, p: UInt32? = nil, saltLength: Int? = nil) throws -> [UInt8] {
        let file = try KeyFile(wrapping: MasterKeys.generate(), password: "pw", kdf: KeyFile.ScryptParameters(n: 16, r: 8, p: 1), host: "h", user: "u")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(file.encoded())) as? [String: Any])
        var kdf = try #require(document["kdf"] as? [String: Any])
        if let n { kdf["n"] = n }
        if let r { kdf["r"] = r }
        if let p { kdf["p"] = p }
        if let saltLength { kdf["salt"] = Data(repeating: 7, count: saltLength).base64EncodedString() }
        document["kdf"] = kdf
        return [UInt8](try JSONSerialization.data(withJSONObject: document))
    }

    @Test("parameters outside the caps are refused as damage when the file is read", arguments: [
        (UInt64(1) << 23, UInt32(8), UInt32(1), 32), (3, 8, 1, 32), (1, 8, 1, 32), (0, 8, 1, 32), (1 << 40, 8, 1, 32),
        (16, 33, 1, 32), (16, 0, 1, 32), (16, 8, 17, 32), (16, 8, 0, 32), (16, 8, 1, 8), (1 << 22, 32, 1, 32),
    ])
    func refused(n: UInt64, r: UInt32, p: UInt32, saltLength: Int) throws {
        let bytes = try Self.keyFile(n: n, r: r, p: p, saltLength: saltLength)
        let error = try #require(throws: RepositoryError.self) { _ = try KeyFile(decoding: bytes, what: "key file k") }
        #expect(error.code == .damaged)
        #expect(error.message.contains("unacceptable scrypt parameters"), "\(error.message)")
    }

    @Test("the largest accepted parameters that exceed the memory cap fail at once with a clear error")
    func overMemoryCap() throws {
        // N = 2^22, r = 8: 4 GiB, within what a key file may say, above the 2 GiB scrypt allows itself.
        let file = try KeyFile(decoding: try Self.keyFile(n: 1 << 22, r: 8, p: 1), what: "key file k")
        let started = Date()
        let error = try #require(throws: RepositoryError.self) { _ = try file.open(password: "pw") }
        #expect(error.message.contains("needs more than the 2048 MiB allowed"), "\(error.message)")
        #expect(Date().timeIntervalSince(started) < 1)
    }

    @Test("the smallest accepted parameters work")
    func smallest() throws {
        let file = try KeyFile(decoding: try Self.keyFile(n: 2, r: 1, p: 1, saltLength: 16), what: "key file k")
        // The wrapped keys were sealed under other parameters: the password no longer opens them.
        let error = try #require(throws: RepositoryError.self) { _ = try file.open(password: "pw") }
        #expect(error.code == .wrongPassword)
    }
}
