import Synchronization
import VaultCodecs

/// A blob in its stored form, ready to append to a pack.
package struct EncodedBlob: Sendable {
    /// The blob's ID.
    package var id: Digest256
    /// Data or tree.
    package var type: BlobType
    /// The plaintext length.
    package var rawLength: Int
    /// The stored bytes: `seal(codec ‖ payload)`.
    package var stored: [UInt8]

    /// Creates an encoded blob.
    package init(id: Digest256, type: BlobType, rawLength: Int, stored: [UInt8]) {
        self.id = id
        self.type = type
        self.rawLength = rawLength
        self.stored = stored
    }
}

/// Encoders for many tasks at once: each encode borrows one, so the zlib
/// state is allocated once per concurrent task, not once per blob.
package final class BlobEncoderPool: Sendable {
    /// One encoder; only ever used by the task that took it from the pool.
    private final class Slot: @unchecked Sendable {
        var encoder: BlobEncoder
        init(_ encoder: consuming BlobEncoder) { self.encoder = encoder }
    }

    private let cipher: ObjectCipher
    private let compression: CompressionSetting
    private let idle = Mutex<[Slot]>([])

    /// Creates a pool for a repository's cipher and compression setting.
    package init(cipher: ObjectCipher, compression: CompressionSetting) {
        self.cipher = cipher
        self.compression = compression
    }

    /// Encodes one blob.
    package func encode(_ plaintext: UnsafeRawBufferPointer, id: Digest256, type: BlobType) -> EncodedBlob {
        let slot = idle.withLock { $0.popLast() } ?? Slot(BlobEncoder(cipher: cipher, compression: compression))
        // Sealing appends to the empty array in one allocation of exactly
        // the stored size (a compressed blob's, not the plaintext's): the
        // blobs in flight hold no slack.
        var stored: [UInt8] = []
        slot.encoder.encode(plaintext, appendingTo: &stored)
        idle.withLock { $0.append(slot) }
        return EncodedBlob(id: id, type: type, rawLength: plaintext.count, stored: stored)
    }
}
