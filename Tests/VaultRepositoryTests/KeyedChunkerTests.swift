import Foundation
import Testing
import VaultTestSupport
import VaultChunker
import VaultCodecs
import VaultStorage
@testable import VaultRepository

/// The secret gear table of an encrypted repository (docs/format.md,
/// "Chunking"): entry `i` is the first 8 bytes, little-endian, of
/// `HMAC-SHA-256(chunker key, "vault-gear" ‖ byte(i))` (issue 17, item 13).
@Suite("keyed chunker")
struct KeyedChunkerTests {
    @Test("the gear table is derived as docs/format.md says (values computed independently with Python's hmac)")
    func derivation() {
        let key = (0..<32).map { UInt8($0) }
        let table = Array(Repository.gearTable(chunkerKey: key).values)
        #expect(table.count == 256)
        // python3: struct.unpack('<Q', hmac.new(bytes(range(32)), b'vault-gear' + bytes([i]), sha256).digest()[:8])
        #expect(table[0] == 0xa4d3_c0d8_7652_09b7)
        #expect(table[1] == 0xd752_c18a_a077_4763)
        #expect(table[2] == 0xc55a_896e_05e6_84db)
        #expect(table[128] == 0xe902_4218_2b62_4034)
        #expect(table[255] == 0x18bf_c5ab_12c7_5a24)
        // Every entry, from the HMAC's bytes read little-endian.
        let hmac = HMACSHA256(key: key)
        for index in 0..<256 {
            let digest = hmac.authenticate(Array("vault-gear".utf8) + [UInt8(index)]).bytes
            let value = digest.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            #expect(table[index] == value, "entry \(index)")
        }
        #expect(Set(table).count == 256)
        #expect(Repository.gearTable(chunkerKey: key) != GearTable.fastCDC)
        #expect(Repository.gearTable(chunkerKey: key.map { $0 ^ 1 }) != Repository.gearTable(chunkerKey: key))
    }

    @Test("two encrypted repositories cut the same file differently; a reopened one cuts it the same; plain ones use FastCDC's table")
    func repositoriesCutDifferently() async throws {
        let data = SplitMix64.bytes(seed: 17, count: 8 << 20)
        let first = try await TestRepository()
        let second = try await TestRepository()
        let plain = try await TestRepository(encrypted: false)
        let firstCuts = first.repository.chunker.chunks(of: data).map(\.upperBound)
        let secondCuts = second.repository.chunker.chunks(of: data).map(\.upperBound)
        let plainCuts = plain.repository.chunker.chunks(of: data).map(\.upperBound)
        #expect(firstCuts.count > 3 && secondCuts.count > 3)
        // Only the end of the input is certain to be shared.
        #expect(Set(firstCuts).intersection(secondCuts).count <= 2, "\(firstCuts) \(secondCuts)")
        #expect(Set(firstCuts).intersection(plainCuts).count <= 2)
        let reference = try FastCDC(parameters: plain.repository.config.chunker)
        #expect(plainCuts == reference.chunks(of: data).map(\.upperBound))
        let keys = try #require(first.repository.keys)
        #expect(firstCuts == (try FastCDC(parameters: first.repository.config.chunker, gear: Repository.gearTable(chunkerKey: keys.chunker)))
            .chunks(of: data).map(\.upperBound))

        let reopened = try await Repository.open(first.storage) { "correct horse" }
        #expect(reopened.chunker.chunks(of: data).map(\.upperBound) == firstCuts)
    }
}
