
internal import VaultPOSIX

/// The order-0 (byte-frequency) entropy of a buffer: a cheap predictor of
/// whether compressing it pays.
///
/// Already-compressed or encrypted data is close to 8 bits per byte, and
/// deflate cannot shrink it; text and executables are far below. Counting
/// byte frequencies runs at memory speed, hundreds of times faster than
/// trying to compress.
package enum ByteEntropy {
    /// The entropy of `bytes` in bits per byte, from 0 (one repeated byte) to 8.
    package static func bitsPerByte(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard !bytes.isEmpty else { return 0 }
        // Four interleaved tables avoid stalls on repeated bytes.
        var counts = [UInt32](repeating: 0, count: 4 * 256)
        counts.withUnsafeMutableBufferPointer { table in
            var index = 0
            let count = bytes.count
            while index + 4 <= count {
                table[Int(bytes[index])] &+= 1
                table[256 + Int(bytes[index + 1])] &+= 1
                table[512 + Int(bytes[index + 2])] &+= 1
                table[768 + Int(bytes[index + 3])] &+= 1
                index += 4
            }
            while index < count {
                table[Int(bytes[index])] &+= 1
                index += 1
            }
        }
        let total = Double(bytes.count)
        var entropy = 0.0
        for value in 0..<256 {
            let count = counts[value] + counts[256 + value] + counts[512 + value] + counts[768 + value]
            if count > 0 {
                let probability = Double(count) / total
                entropy -= probability * binaryLogarithm(probability)
            }
        }
        return entropy
    }
}
