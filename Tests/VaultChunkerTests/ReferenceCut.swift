import Foundation

@testable import VaultChunker

/// A plain, line-by-line transcription of fastcdc-rs's `v2020::cut` and its
/// iterator, kept obviously correct (bounds-checked arrays, its variable
/// names, one byte pair per step) to check the optimized `FastCDC` against.
///
/// It shares nothing with the module but the gear values (checked on their
/// own in `GearTableTests`): it has its own copy of `MASKS` and computes
/// `log2` with floating point as fastcdc-rs does.
struct ReferenceFastCDC {
    // fastcdc-rs `MASKS`.
    static let masks: [UInt64] = [
        0, 0, 0, 0, 0,
        0x0000000001804110, 0x0000000001803110, 0x0000000018035100, 0x0000001800035300,
        0x0000019000353000, 0x0000590003530000, 0x0000d90003530000, 0x0000d90103530000,
        0x0000d90303530000, 0x0000d90313530000, 0x0000d90f03530000, 0x0000d90303537000,
        0x0000d90703537000, 0x0000d90707537000, 0x0000d91707537000, 0x0000d91747537000,
        0x0000d91767537000, 0x0000d93767537000, 0x0000d93777537000, 0x0000d93777577000,
        0x0000db3777577000,
    ]

    let minSize: Int
    let avgSize: Int
    let maxSize: Int
    let maskS: UInt64
    let maskL: UInt64
    let maskSLs: UInt64
    let maskLLs: UInt64
    let gear: [UInt64]
    let gearLs: [UInt64]

    /// fastcdc-rs `with_level_and_seed`: a seed XORs the gear values (and
    /// the seed shifted left one bit XORs the left-shifted ones).
    init(minSize: Int, avgSize: Int, maxSize: Int, level: Int = 1, seed: UInt64 = 0) {
        precondition((64...1_048_576).contains(minSize))
        precondition((256...4_194_304).contains(avgSize))
        precondition((1024...16_777_216).contains(maxSize))
        let bits = Int(log2(Double(avgSize)).rounded())  // f64::log2().round()
        self.minSize = minSize
        self.avgSize = avgSize
        self.maxSize = maxSize
        maskS = Self.masks[bits + level]
        maskL = Self.masks[bits - level]
        maskSLs = maskS << 1
        maskLLs = maskL << 1
        let base = Array(GearTable.fastCDC.values)
        gear = base.map { seed > 0 ? $0 ^ seed : $0 }
        gearLs = base.map { seed > 0 ? ($0 << 1) ^ (seed << 1) : $0 << 1 }
    }

    /// `cut(source, ...) -> (hash, count)`; `source[first + i]` is the
    /// Rust slice's `source[i]`.
    func cut(_ source: ArraySlice<UInt8>) -> (hash: UInt64, count: Int) {
        let first = source.startIndex
        var remaining = source.count
        if remaining <= minSize {
            return (0, remaining)
        }
        var center = avgSize
        if remaining > maxSize {
            remaining = maxSize
        } else if remaining < center {
            center = remaining
        }
        var index = minSize / 2
        var hash: UInt64 = 0
        while index < center / 2 {
            let a = index * 2
            hash = (hash << 2) &+ gearLs[Int(source[first + a])]
            if (hash & maskSLs) == 0 {
                return (hash, a)
            }
            hash = hash &+ gear[Int(source[first + a + 1])]
            if (hash & maskS) == 0 {
                return (hash, a + 1)
            }
            index += 1
        }
        while index < remaining / 2 {
            let a = index * 2
            hash = (hash << 2) &+ gearLs[Int(source[first + a])]
            if (hash & maskLLs) == 0 {
                return (hash, a)
            }
            hash = hash &+ gear[Int(source[first + a + 1])]
            if (hash & maskL) == 0 {
                return (hash, a + 1)
            }
            index += 1
        }
        return (hash, remaining)
    }

    /// The `Iterator` of fastcdc-rs's `FastCDC`: every chunk of `source`.
    func chunks(of source: [UInt8]) -> [ExpectedChunk] {
        var chunks: [ExpectedChunk] = []
        var processed = 0
        var remaining = source.count
        while remaining > 0 {
            let (hash, count) = cut(source[processed..<(processed + remaining)])
            if count == 0 { break }
            chunks.append(ExpectedChunk(offset: processed, length: count, hash: hash))
            processed += count
            remaining -= count
        }
        return chunks
    }
}
