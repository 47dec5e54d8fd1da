import VaultCodecs

/// How well a version of a file compresses, as far as vault can tell
/// without reading anything more than a backup reads anyway.
package enum Compressibility: Sendable, Hashable {
    /// Compresses well (text, executables, most documents before encryption).
    case compressible
    /// Does not compress (encrypted, or already compressed).
    case incompressible
    /// Too small to tell, in between, or not measured.
    case unknown

    /// Below this many bytes a version's compressibility is not judged.
    package static let minimumLength = 512
    /// A stored version at most this share of its raw size compressed well.
    package static let compressibleRatio = 0.75
    /// A stored version at least this share of its raw size did not compress.
    package static let incompressibleRatio = 0.97
    /// The most bytes of a new version whose entropy is measured.
    package static let sampleLength = 16 * 1024
    /// From this many sampled bytes on, the encoder's threshold applies: at
    /// or above 7.8 bits per byte of order-0 entropy, data does not compress.
    package static let encoderSampleLength = 4096
    /// The encoder's threshold (`BlobEncoder.incompressibleEntropy`).
    package static let encoderEntropy = 7.8
    /// At or below this entropy a sample counts as compressible (text is
    /// about 4.5 to 5.5 bits per byte, machine code about 6 to 6.5).
    package static let compressibleEntropy = 7.0

    /// A version already in the repository, from its blobs' stored and raw
    /// sizes in the index (no data is read).
    ///
    /// - Parameters:
    ///   - storedBytes: The sum of the blobs' stored lengths.
    ///   - rawBytes: The sum of their plaintext lengths.
    ///   - blobs: The number of blobs.
    ///   - overheadPerBlob: What sealing adds to each blob (codec byte, nonce, tag).
    ///   - compressionEnabled: Whether the repository compresses at all;
    ///     when it does not, stored sizes say nothing.
    package init(storedBytes: Int64, rawBytes: Int64, blobs: Int, overheadPerBlob: Int, compressionEnabled: Bool) {
        guard compressionEnabled, rawBytes >= Int64(Self.minimumLength), blobs > 0 else {
            self = .unknown
            return
        }
        let (overhead, overflow) = Int64(blobs).multipliedReportingOverflow(by: Int64(max(0, overheadPerBlob)))
        guard !overflow else {
            self = .unknown
            return
        }
        let payload = Double(max(0, storedBytes - overhead))
        let ratio = payload / Double(rawBytes)
        self = ratio <= Self.compressibleRatio ? .compressible : ratio >= Self.incompressibleRatio ? .incompressible : .unknown
    }

    /// A new version, from the order-0 entropy of its first bytes (up to
    /// ``sampleLength``), the measure the encoder uses to skip compression.
    ///
    /// Short samples of random data measure below 8 bits per byte (256
    /// possible values seen only a few times each), so below
    /// ``encoderSampleLength`` bytes the threshold is that expected of
    /// random data of the sample's length, less a margin.
    package init(sample: UnsafeRawBufferPointer) {
        guard sample.count >= Self.minimumLength else {
            self = .unknown
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: sample.prefix(Self.sampleLength))
        let entropy = ByteEntropy.bitsPerByte(bytes)
        self = entropy >= Self.incompressibleEntropy(sampleLength: bytes.count) ? .incompressible
            : entropy <= Self.compressibleEntropy ? .compressible : .unknown
    }

    /// The entropy from which a sample of `length` bytes counts as incompressible.
    package static func incompressibleEntropy(sampleLength length: Int) -> Double {
        guard length < encoderSampleLength else { return encoderEntropy }
        // Expected bias of the plug-in estimate: (256 - 1) / (2 n ln 2) bits.
        let bias = 255.0 / (2.0 * Double(max(1, length)) * 0.6931471805599453)
        return 8.0 - bias - 0.3
    }
}

/// What a backup keeps of a file it read, for the ransomware check: the
/// first bytes and how the contents compress.
package struct ContentSample: Sendable, Hashable {
    /// The first ``ContentSignature/headLength`` bytes (fewer for a shorter file).
    package var head: [UInt8]
    /// How the sampled bytes compress.
    package var compressibility: Compressibility

    /// Creates a sample from its parts.
    package init(head: [UInt8], compressibility: Compressibility) {
        self.head = head
        self.compressibility = compressibility
    }

    /// Samples the first bytes of a file (its first chunk).
    package init(firstBytes bytes: UnsafeRawBufferPointer) {
        head = Array(bytes.prefix(ContentSignature.headLength))
        compressibility = Compressibility(sample: bytes)
    }
}
