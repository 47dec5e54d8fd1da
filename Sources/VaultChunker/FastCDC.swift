/// A FastCDC content-defined chunker: the 2020 algorithm of Xia et al.
/// (IEEE TPDS), with exactly the cut points of fastcdc-rs's `v2020` module.
///
/// The gear hash starts after the first `minSize` bytes of a chunk (cut-point
/// skipping) and rolls two bytes per step; up to `avgSize` a cut needs the
/// hash to clear a mask of `round(log2(avgSize)) + normalization` bits, after
/// it one of `round(log2(avgSize)) - normalization` bits (normalized
/// chunking); a chunk never exceeds `maxSize`. Like fastcdc-rs, a cut found
/// on the first byte of a pair or the second ends the chunk *before* that
/// byte, and a window of odd length leaves its last byte untested.
///
/// The last chunk of an input may be shorter than `minSize`; an empty input
/// has no chunks.
package struct FastCDC: Sendable {
    /// The minimum, average and maximum chunk sizes.
    package let parameters: ChunkerParameters
    /// The gear values the hash uses.
    package let gear: GearTable
    /// The normalization level, 0–3: how strongly chunk sizes are pulled
    /// toward `minSize + avgSize`.
    package let normalization: Int
    /// The mask tested before `avgSize` bytes (more bits, so fewer cuts):
    /// fastcdc-rs's `mask_s`.
    package let strictMask: UInt64
    /// The mask tested from `avgSize` bytes on (fewer bits, so more cuts):
    /// fastcdc-rs's `mask_l`.
    package let looseMask: UInt64

    /// The allowed normalization levels.
    package static let normalizationRange = 0...3

    /// Creates a chunker.
    ///
    /// - Parameters:
    ///   - parameters: The minimum, average and maximum chunk sizes.
    ///   - gear: The gear values; the reference table unless the repository
    ///     derives its own.
    ///   - normalization: The normalization level, 0–3; 1 as in fastcdc-rs.
    /// - Throws: `ChunkerError` with code `.normalizationOutOfRange` when
    ///   `normalization` is not in 0–3.
    package init(
        parameters: ChunkerParameters, gear: GearTable = .fastCDC, normalization: Int = 1
    ) throws(ChunkerError) {
        let range = Self.normalizationRange
        guard range.contains(normalization) else {
            throw ChunkerError(
                .normalizationOutOfRange,
                message: "normalization level \(normalization) is out of range "
                    + "\(range.lowerBound)...\(range.upperBound)")
        }
        let bits = ChunkMasks.roundedLog2(parameters.avgSize)
        self.parameters = parameters
        self.gear = gear
        self.normalization = normalization
        self.strictMask = ChunkMasks.byBits[bits + normalization]
        self.looseMask = ChunkMasks.byBits[bits - normalization]
    }

    /// Finds the end of the first chunk of `buffer`.
    ///
    /// - Parameter buffer: The input from the start of a chunk: at least
    ///   `maxSize` bytes, or else all the input that is left.
    /// - Returns: The length of the first chunk; 0 only when `buffer` is
    ///   empty, `buffer.count` when all of it is one chunk.
    package func cutPoint(in buffer: UnsafeRawBufferPointer) -> Int {
        cut(in: buffer).length
    }

    /// Finds the end of the first chunk of `buffer`, with the gear hash there.
    ///
    /// - Parameter buffer: The input from the start of a chunk: at least
    ///   `maxSize` bytes, or else all the input that is left.
    /// - Returns: The length of the first chunk, and the gear hash as it was
    ///   when the chunk ended (fastcdc-rs's `hash`; 0 for a chunk of at most
    ///   `minSize` bytes, which is not hashed).
    package func cut(in buffer: UnsafeRawBufferPointer) -> (length: Int, hash: UInt64) {
        guard let base = buffer.baseAddress, buffer.count > parameters.minSize else {
            return (buffer.count, 0)
        }
        var window = buffer.count
        var center = parameters.avgSize
        if window > parameters.maxSize {
            window = parameters.maxSize
        } else if window < center {
            center = window
        }
        return gear.storage.withUnsafeBufferPointer { table in
            // Bytes are hashed in pairs (p, p + 1), p even, from p = minSize
            // rounded down to even: pairs starting below center rounded
            // down use the strict mask, those below window rounded down the
            // loose one. An odd window's last byte is never tested.
            var hash: UInt64 = 0
            var position = parameters.minSize & ~1
            if let cut = Self.scan(
                base, table.baseAddress!, from: &position, to: center & ~1, hash: &hash,
                mask: strictMask)
            {
                return (cut, hash)
            }
            if let cut = Self.scan(
                base, table.baseAddress!, from: &position, to: window & ~1, hash: &hash,
                mask: looseMask)
            {
                return (cut, hash)
            }
            return (window, hash)
        }
    }

    /// Hashes byte pairs `(p, p + 1)` for even `p` from `position` while
    /// `p < end`, testing the hash after each byte.
    ///
    /// - Parameters:
    ///   - bytes: The chunk's first byte.
    ///   - table: `GearTable.storage`: shifted values, then plain values.
    ///   - position: The first pair, even; on return the pair where the
    ///     scan stopped.
    ///   - end: The end of the scan, even.
    ///   - hash: The gear hash so far; on return the hash where it stopped.
    ///   - mask: The mask the hash must clear; shifted left one bit for the
    ///     first byte of a pair, whose value went in shifted.
    /// - Returns: The chunk length at the cut: `p` when the hash clears the
    ///   mask after byte `p`, `p + 1` after byte `p + 1` (a cut excludes the
    ///   byte that made it, as in fastcdc-rs); `nil` when `end` is reached.
    @inline(__always)
    private static func scan(
        _ bytes: UnsafeRawPointer, _ table: UnsafePointer<UInt64>,
        from position: inout Int, to end: Int, hash: inout UInt64, mask: UInt64
    ) -> Int? {
        let shiftedMask = mask &<< 1
        let plain = table + GearTable.count
        var p = position
        var value = hash
        defer {
            position = p
            hash = value
        }
        while p < end {
            let first = Int(bytes.load(fromByteOffset: p, as: UInt8.self))
            value = (value &<< 2) &+ table[first]
            if value & shiftedMask == 0 { return p }
            let second = Int(bytes.load(fromByteOffset: p &+ 1, as: UInt8.self))
            value = value &+ plain[second]
            if value & mask == 0 { return p &+ 1 }
            p &+= 2
        }
        return nil
    }

    /// Splits a whole input into chunks.
    ///
    /// - Parameter buffer: All of the input.
    /// - Returns: The byte range of each chunk, in order; none for an empty
    ///   input.
    package func chunks(in buffer: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(buffer.count / (parameters.minSize + parameters.avgSize) + 1)
        var start = 0
        while start < buffer.count {
            let length = cutPoint(in: UnsafeRawBufferPointer(rebasing: buffer[start...]))
            ranges.append(start..<(start + length))
            start += length
        }
        return ranges
    }

    /// Splits a whole input into chunks.
    ///
    /// - Parameter bytes: All of the input.
    /// - Returns: The byte range of each chunk, in order; none for an empty
    ///   input.
    package func chunks(of bytes: [UInt8]) -> [Range<Int>] {
        bytes.withUnsafeBytes { chunks(in: $0) }
    }
}
