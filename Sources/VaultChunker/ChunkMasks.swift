/// The judgement masks of FastCDC, indexed by a number of bits.
///
/// A cut point is where the gear hash has zeros in every bit of the mask.
/// These are fastcdc-rs's `MASKS`: bits spread over the hash as in the
/// FastCDC C reference code (64 B to 128 KiB) and restic's FastCDC (larger
/// sizes); entries 0–4 are never used, 5 and 25 only at normalization 3.
enum ChunkMasks {
    static let byBits: [UInt64] = [
        0, 0, 0, 0, 0,
        0x0000_0000_0180_4110,  // 5: normalization 3 only
        0x0000_0000_0180_3110,  // 6: 64 B
        0x0000_0000_1803_5100,  // 7: 128 B
        0x0000_0018_0003_5300,  // 8: 256 B
        0x0000_0190_0035_3000,  // 9: 512 B
        0x0000_5900_0353_0000,  // 10: 1 KiB
        0x0000_d900_0353_0000,  // 11: 2 KiB
        0x0000_d901_0353_0000,  // 12: 4 KiB
        0x0000_d903_0353_0000,  // 13: 8 KiB
        0x0000_d903_1353_0000,  // 14: 16 KiB
        0x0000_d90f_0353_0000,  // 15: 32 KiB
        0x0000_d903_0353_7000,  // 16: 64 KiB
        0x0000_d907_0353_7000,  // 17: 128 KiB
        0x0000_d907_0753_7000,  // 18: 256 KiB
        0x0000_d917_0753_7000,  // 19: 512 KiB
        0x0000_d917_4753_7000,  // 20: 1 MiB
        0x0000_d917_6753_7000,  // 21: 2 MiB
        0x0000_d937_6753_7000,  // 22: 4 MiB
        0x0000_d937_7753_7000,  // 23: 8 MiB
        0x0000_d937_7757_7000,  // 24: 16 MiB
        0x0000_db37_7757_7000,  // 25: normalization 3 only
    ]

    /// `log2(value)` rounded to the nearest integer, as fastcdc-rs computes
    /// it with floating point (`f64::log2(value).round()`), in integers.
    ///
    /// `log2(v)` rounds up from `f = floor(log2(v))` exactly when
    /// `v >= 2^(f + 1/2)`, that is when `v * v >= 2^(2f + 1)`; no integer
    /// lies on the boundary itself.
    ///
    /// - Parameter value: A positive number below 2^31.
    /// - Returns: The nearest integer to `log2(value)`.
    static func roundedLog2(_ value: Int) -> Int {
        precondition(value > 0 && value < 1 << 31)
        let floor = Int.bitWidth - 1 - value.leadingZeroBitCount
        return value * value >= 1 << (2 * floor + 1) ? floor + 1 : floor
    }
}
