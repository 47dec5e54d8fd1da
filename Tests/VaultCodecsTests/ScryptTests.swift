import Testing
@testable import VaultCodecs

/// Known answers from RFC 7914 §12, and parameter validation.
@Suite struct ScryptTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let password: String
        let salt: String
        let n: UInt64
        let r: UInt32
        let p: UInt32
        let key: String
        var testDescription: String { "N=\(n) r=\(r) p=\(p)" }
    }

    static let vectors: [Vector] = [
        Vector(password: "", salt: "", n: 16, r: 1, p: 1,
               key: "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                   + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"),
        Vector(password: "password", salt: "NaCl", n: 1024, r: 8, p: 16,
               key: "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                   + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
        Vector(password: "pleaseletmein", salt: "SodiumChloride", n: 16384, r: 8, p: 1,
               key: "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                   + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
    ]

    @Test(arguments: vectors)
    func matchesRFC7914(_ vector: Vector) throws {
        let key = try Scrypt.deriveKey(password: Array(vector.password.utf8), salt: Array(vector.salt.utf8),
                                       n: vector.n, r: vector.r, p: vector.p, length: 64)
        #expect(hexString(key) == vector.key)
    }

    @Test func shorterOutputIsAPrefix() throws {
        // scrypt's final PBKDF2 step makes a shorter key a prefix of a longer one.
        let key = try Scrypt.deriveKey(password: [], salt: [], n: 16, r: 1, p: 1, length: 32)
        #expect(hexString(key) == String(Self.vectors[0].key.prefix(64)))
    }

    @Test func saltChangesTheKey() throws {
        let password = Array("correct horse".utf8)
        let first = try Scrypt.deriveKey(password: password, salt: [1], n: 1024, r: 8, p: 1, length: 32)
        let second = try Scrypt.deriveKey(password: password, salt: [2], n: 1024, r: 8, p: 1, length: 32)
        #expect(first.count == 32)
        #expect(first != second)
    }

    struct BadParameters: Sendable, CustomTestStringConvertible {
        let n: UInt64
        let r: UInt32
        let p: UInt32
        let length: Int
        var testDescription: String { "N=\(n) r=\(r) p=\(p) length=\(length)" }
    }

    @Test(arguments: [
        BadParameters(n: 0, r: 8, p: 1, length: 32),
        BadParameters(n: 1, r: 8, p: 1, length: 32),
        BadParameters(n: 1000, r: 8, p: 1, length: 32),
        BadParameters(n: 1024, r: 0, p: 1, length: 32),
        BadParameters(n: 1024, r: 8, p: 0, length: 32),
        BadParameters(n: 1024, r: 8, p: 1, length: 0),
        BadParameters(n: 1 << 40, r: 8, p: 1, length: 32),
        BadParameters(n: 1 << 63, r: .max, p: 1, length: 32),
        BadParameters(n: 16, r: 1 << 20, p: 1 << 20, length: 32),
    ])
    func invalidParametersAreRejected(_ parameters: BadParameters) {
        let error = #expect(throws: CodecError.self) {
            try Scrypt.deriveKey(password: [1], salt: [2], n: parameters.n, r: parameters.r, p: parameters.p,
                                 length: parameters.length)
        }
        #expect(error?.code == .invalidParameter)
    }
}
