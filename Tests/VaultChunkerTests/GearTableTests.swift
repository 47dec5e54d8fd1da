import Testing
import VaultTestSupport

@testable import VaultChunker

@Suite("GearTable")
struct GearTableTests {
    @Test("fastCDC is fastcdc-rs's GEAR table, and the shifted table its GEAR_LS")
    func referenceTable() {
        let values = Array(GearTable.fastCDC.values)
        #expect(values.count == 256)
        // Spot values from fastcdc-rs `GEAR` and `GEAR_LS`.
        #expect(values[0] == 0x3b5d_3c7d_207e_37dc)
        #expect(values[1] == 0x784d_68ba_9112_3086)
        #expect(values[152] == 0x5f4a_befa_878d_458d)
        #expect(values[255] == 0xaabd_2b2a_4515_04e1)
        #expect(GearTable.fastCDC.shiftedValues.first == 0x76ba_78fa_40fc_6fb8)
        #expect(GearTable.fastCDC.shiftedValues.last == 0x557a_5654_8a2a_09c2)
        #expect(Array(GearTable.fastCDC.shiftedValues) == values.map { $0 << 1 })
        // FNV-1a 64 over the 256 values as little-endian bytes, computed
        // from fastcdc-rs's table (first 8 bytes, big-endian, of MD5 over
        // 64 bytes each equal to the index): catches any altered bit,
        // including high bits that no mask ever tests.
        var checksum: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            for shift in stride(from: 0, to: 64, by: 8) {
                checksum = (checksum ^ (value >> UInt64(shift) & 0xff)) &* 0x100_0000_01b3
            }
        }
        #expect(checksum == 0xe30a_aa9d_d8e0_f632)
    }

    @Test("a custom table keeps its values and changes the boundaries")
    func customTable() throws {
        var random = SplitMix64(seed: 31337)
        let values = (0..<256).map { _ in random.next() }
        let table = try GearTable(values: values)
        #expect(Array(table.values) == values)
        #expect(Array(table.shiftedValues) == values.map { $0 << 1 })
        #expect(table != GearTable.fastCDC)

        let parameters = try ChunkerParameters(minSize: 2048, avgSize: 8192, maxSize: 65536)
        let data = SplitMix64.bytes(seed: 5, count: 1 << 20)
        let standard = try FastCDC(parameters: parameters).chunks(of: data)
        let custom = try FastCDC(parameters: parameters, gear: table).chunks(of: data)
        #expect(standard.count > 50 && custom.count > 50)
        let standardCuts = Set(standard.map(\.upperBound))
        let shared = custom.map(\.upperBound).filter { standardCuts.contains($0) }
        // Only the end of the input is certain to be shared.
        #expect(shared.count < 5, "custom gear table left \(shared.count) cut points unchanged")
        // Streaming uses the custom table too.
        #expect(try streamRanges(of: data, chunker: FastCDC(parameters: parameters, gear: table)) == custom)
    }

    @Test("a table without exactly 256 values throws")
    func wrongSize() {
        for count in [0, 255, 257] {
            #expect {
                _ = try GearTable(values: [UInt64](repeating: 1, count: count))
            } throws: { error in
                let error = error as? ChunkerError
                return error?.code == .gearTableSize && error?.message.contains("\(count)") == true
            }
        }
    }
}
