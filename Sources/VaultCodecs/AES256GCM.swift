internal import COpenSSL

/// AES-256 in Galois/Counter Mode (NIST SP 800-38D) under one fixed key,
/// safe to use from many threads.
///
/// A sealed message is `nonce (12 bytes, random) || ciphertext || tag (16
/// bytes)`, so it is ``overhead`` bytes longer than the plaintext. Random
/// 96-bit nonces keep the chance of a repeat negligible for up to 2^32
/// messages per key (SP 800-38D §8.3).
///
/// Each call takes a keyed OpenSSL context from a small pool and only sets a
/// new nonce, so the AES key schedule and GHASH tables are computed once per
/// pooled context, not per message; nonces come from ``NonceBatch``.
package struct AES256GCM: Sendable {
    /// The key length in bytes.
    package static let keyByteCount = 32
    /// The nonce length in bytes.
    package static let nonceByteCount = 12
    /// The tag length in bytes.
    package static let tagByteCount = 16
    /// How many bytes longer a sealed message is than its plaintext.
    package static let overhead = 28

    private let storage: Storage

    /// Prepares to seal and open under `key`.
    ///
    /// - Parameter key: A 32-byte secret key.
    /// - Throws: ``CodecError`` `.invalidKey` unless `key` holds exactly 32 bytes.
    package init(key: [UInt8]) throws(CodecError) {
        guard key.count == Self.keyByteCount else {
            throw CodecError(.invalidKey, "an AES-256 key is 32 bytes, not \(key.count)")
        }
        storage = key.withUnsafeBytes { Storage(key: $0) }
    }

    // MARK: Sealing

    /// Encrypts and authenticates a message under a fresh random nonce,
    /// appending `nonce || ciphertext || tag` to `output`.
    ///
    /// - Parameters:
    ///   - plaintext: The message.
    ///   - output: Receives `plaintext.count + 28` more bytes.
    package func seal(_ plaintext: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        let sealedCount = plaintext.count + Self.overhead
        // Encrypt straight from the caller's buffer into the array's spare
        // capacity: the output is the only copy.
        output.appendBytes(upTo: sealedCount) { sealed in
            seal(plaintext, into: UnsafeMutableRawBufferPointer(rebasing: sealed[..<sealedCount]),
                 additionalData: UnsafeRawBufferPointer(start: nil, count: 0), drawingNonce: true)
            return sealedCount
        }
    }

    /// Encrypts and authenticates a message under a fresh random nonce.
    ///
    /// - Parameter plaintext: The message.
    /// - Returns: `nonce || ciphertext || tag`, `plaintext.count + 28` bytes.
    package func seal(_ plaintext: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        seal(plaintext, appendingTo: &output)
        return output
    }

    /// Encrypts and authenticates a message under a fresh random nonce.
    ///
    /// - Parameter plaintext: The message.
    /// - Returns: `nonce || ciphertext || tag`, `plaintext.count + 28` bytes.
    package func seal(_ plaintext: [UInt8]) -> [UInt8] {
        plaintext.withUnsafeBytes { seal($0) }
    }

    /// Seals with a caller-chosen nonce and additional authenticated data.
    ///
    /// FOR KNOWN-ANSWER TESTS ONLY: reusing a nonce under one key destroys
    /// GCM's confidentiality and authenticity. Production code uses
    /// ``seal(_:appendingTo:)``, which draws a random nonce.
    ///
    /// - Returns: `nonce || ciphertext || tag`.
    func sealForTesting(_ plaintext: [UInt8], nonce: [UInt8], additionalData: [UInt8] = []) -> [UInt8] {
        precondition(nonce.count == Self.nonceByteCount, "GCM nonce must be 12 bytes")
        var output = nonce + [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        plaintext.withUnsafeBytes { plaintext in
            additionalData.withUnsafeBytes { additionalData in
                output.withUnsafeMutableBytes {
                    seal(plaintext, into: $0, additionalData: additionalData, drawingNonce: false)
                }
            }
        }
        return output
    }

    /// Encrypts `plaintext` into `sealed[12 ..< count - 16]` under the nonce
    /// in `sealed[..<12]` (first drawn at random when `drawingNonce`), and
    /// writes the tag into the last 16 bytes. `plaintext` may be exactly
    /// `sealed[12 ..< count - 16]` (in place).
    private func seal(
        _ plaintext: UnsafeRawBufferPointer,
        into sealed: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        drawingNonce: Bool
    ) {
        precondition(sealed.count == plaintext.count + Self.overhead)
        let nonceSlot = UnsafeMutableRawBufferPointer(rebasing: sealed[..<Self.nonceByteCount])
        let nonce = UnsafeRawBufferPointer(nonceSlot)
        let body = sealed.baseAddress.map { $0 + Self.nonceByteCount }
        let tag = UnsafeMutableRawBufferPointer(rebasing: sealed[(sealed.count - Self.tagByteCount)...])
        let result: Result<Void, CodecError> = storage.encryptors.withContext { sealer in
            let context = sealer.context
            if drawingNonce {
                sealer.nonces.fill(nonceSlot)
            }
            guard EVP_EncryptInit_ex2(context, nil, nil, nonce.bytes, nil) == 1 else {
                return .failure(OpenSSLErrors.error("EVP_EncryptInit_ex2"))
            }
            var written: Int32 = 0
            if additionalData.count > 0 {
                guard Self.update(context, output: nil, input: additionalData, encrypt: true) else {
                    return .failure(OpenSSLErrors.error("EVP_EncryptUpdate(AAD)"))
                }
            }
            guard Self.update(context, output: body, input: plaintext, encrypt: true),
                  EVP_EncryptFinal_ex(context, tag.bytes, &written) == 1,
                  vault_gcm_get_tag(context, tag.bytes) == 1
            else {
                return .failure(OpenSSLErrors.error("AES-256-GCM encryption"))
            }
            return .success(())
        }
        // Encryption with a valid key and nonce has no failure mode but a
        // broken library; a half-sealed message must never escape.
        if case .failure(let error) = result {
            fatalError("\(error)")
        }
    }

    // MARK: Opening

    /// Verifies and decrypts a sealed message.
    ///
    /// - Parameter sealed: `nonce || ciphertext || tag`, as made by ``seal(_:appendingTo:)``.
    /// - Returns: The plaintext, `sealed.count - 28` bytes.
    /// - Throws: ``CodecError`` `.truncated` when `sealed` is shorter than 28
    ///   bytes; `.authenticationFailed` when the tag does not match (wrong key
    ///   or altered bytes). No plaintext is returned unless the tag matches.
    package func open(_ sealed: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        try open(sealed, additionalData: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Verifies and decrypts a sealed message.
    ///
    /// - Parameter sealed: `nonce || ciphertext || tag`, as made by ``seal(_:appendingTo:)``.
    /// - Returns: The plaintext, `sealed.count - 28` bytes.
    /// - Throws: ``CodecError`` `.truncated` or `.authenticationFailed`, as
    ///   for ``open(_:)-(UnsafeRawBufferPointer)``.
    package func open(_ sealed: [UInt8]) throws(CodecError) -> [UInt8] {
        try sealed.withUnsafeBytes { sealed in
            Result { () throws(CodecError) in try open(sealed) }
        }.get()
    }

    /// Verifies and decrypts a sealed message into a caller's buffer.
    ///
    /// - Parameters:
    ///   - sealed: `nonce || ciphertext || tag`, as made by ``seal(_:appendingTo:)``.
    ///   - output: Receives the plaintext at its start; must hold at least
    ///     `sealed.count - 28` bytes and must not overlap `sealed`. When
    ///     authentication fails, those bytes are zeroed.
    /// - Returns: The plaintext length, `sealed.count - 28`.
    /// - Throws: ``CodecError`` `.truncated` or `.authenticationFailed`, as
    ///   for ``open(_:)-(UnsafeRawBufferPointer)``; `.invalidParameter` when
    ///   `output` is too small.
    package func open(_ sealed: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        guard sealed.count >= Self.overhead else {
            throw Self.truncated(sealed.count)
        }
        let length = sealed.count - Self.overhead
        guard output.count >= length else {
            throw CodecError(.invalidParameter, "output buffer holds \(output.count) bytes; the plaintext needs \(length)")
        }
        try openCore(sealed, additionalData: UnsafeRawBufferPointer(start: nil, count: 0),
                     into: UnsafeMutableRawBufferPointer(rebasing: output[..<length]))
        return length
    }

    /// Opens with additional authenticated data. Internal: for known-answer tests.
    func open(_ sealed: UnsafeRawBufferPointer, additionalData: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        guard sealed.count >= Self.overhead else {
            throw Self.truncated(sealed.count)
        }
        let length = sealed.count - Self.overhead
        var failure: CodecError?
        let plaintext = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            do throws(CodecError) {
                try openCore(sealed, additionalData: additionalData, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = length
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return plaintext
    }

    /// Decrypts `sealed` into `output` (exactly its plaintext length) and
    /// verifies the tag; on any failure `output` is zeroed before throwing.
    private func openCore(
        _ sealed: UnsafeRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) {
        let nonce = UnsafeRawBufferPointer(rebasing: sealed[..<Self.nonceByteCount])
        let ciphertext = UnsafeRawBufferPointer(
            rebasing: sealed[Self.nonceByteCount ..< sealed.count - Self.tagByteCount])
        let tag = UnsafeRawBufferPointer(rebasing: sealed[(sealed.count - Self.tagByteCount)...])
        let result: Result<Void, CodecError> = storage.decryptors.withContext { context in
            guard EVP_DecryptInit_ex2(context, nil, nil, nonce.bytes, nil) == 1 else {
                return .failure(OpenSSLErrors.error("EVP_DecryptInit_ex2"))
            }
            if additionalData.count > 0 {
                guard Self.update(context, output: nil, input: additionalData, encrypt: false) else {
                    return .failure(OpenSSLErrors.error("EVP_DecryptUpdate(AAD)"))
                }
            }
            guard Self.update(context, output: output.baseAddress, input: ciphertext, encrypt: false),
                  vault_gcm_set_tag(context, tag.bytes) == 1
            else {
                return .failure(OpenSSLErrors.error("AES-256-GCM decryption"))
            }
            var written: Int32 = 0
            // GCM writes nothing at finalisation; the scratch pointer is never dereferenced.
            var scratch: UInt8 = 0
            guard EVP_DecryptFinal_ex(context, &scratch, &written) == 1 else {
                OpenSSLErrors.clear()
                return .failure(CodecError(
                    .authenticationFailed,
                    "AES-256-GCM tag mismatch: wrong key, or the sealed bytes were altered"))
            }
            return .success(())
        }
        if case .failure(let error) = result {
            if output.count > 0 {
                OPENSSL_cleanse(output.baseAddress, output.count)
            }
            throw error
        }
    }

    // MARK: Helpers

    /// Runs EVP_{En,De}cryptUpdate over `input` in pieces that fit its `int`
    /// length; `output` nil means `input` is additional authenticated data.
    private static func update(
        _ context: OpaquePointer,
        output: UnsafeMutableRawPointer?,
        input: UnsafeRawBufferPointer,
        encrypt: Bool
    ) -> Bool {
        guard let base = input.baseAddress, input.count > 0 else { return true }
        var offset = 0
        while offset < input.count {
            let piece = min(input.count - offset, 1 << 30)
            var written: Int32 = 0
            let destination = output.map { ($0 + offset).assumingMemoryBound(to: UInt8.self) }
            let source = (base + offset).assumingMemoryBound(to: UInt8.self)
            let status = encrypt
                ? EVP_EncryptUpdate(context, destination, &written, source, Int32(piece))
                : EVP_DecryptUpdate(context, destination, &written, source, Int32(piece))
            guard status == 1, Int(written) == piece else { return false }
            offset += piece
        }
        return true
    }

    private static func truncated(_ count: Int) -> CodecError {
        CodecError(.truncated, "a sealed message has at least \(overhead) bytes (nonce and tag), this one has \(count)")
    }

    /// The key and the pools of keyed encryption and decryption contexts.
    private final class Storage: @unchecked Sendable {
        private let key: UnsafeMutableRawBufferPointer
        let encryptors: ContextPool<Sealer>
        let decryptors: ContextPool<OpaquePointer>

        init(key source: UnsafeRawBufferPointer) {
            let key = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
            key.copyMemory(from: source)
            self.key = key
            // Contexts hold their own expanded key; `key` is only read while
            // making one, and outlives both pools' `make` closures.
            let readOnlyKey = UnsafeRawBufferPointer(key)
            encryptors = ContextPool(make: { Sealer(context: Self.keyedContext(readOnlyKey, encrypt: true)) },
                                     release: { _ in })
            decryptors = ContextPool(make: { Self.keyedContext(readOnlyKey, encrypt: false) },
                                     release: { EVP_CIPHER_CTX_free($0) })
        }

        deinit {
            OPENSSL_cleanse(key.baseAddress, key.count)
            key.deallocate()
        }

        private static func keyedContext(_ key: UnsafeRawBufferPointer, encrypt: Bool) -> OpaquePointer {
            guard let context = EVP_CIPHER_CTX_new() else {
                fatalError("EVP_CIPHER_CTX_new failed: out of memory")
            }
            let keyBytes = key.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let status = encrypt
                ? EVP_EncryptInit_ex2(context, OpenSSLAlgorithms.aes256GCM, keyBytes, nil, nil)
                : EVP_DecryptInit_ex2(context, OpenSSLAlgorithms.aes256GCM, keyBytes, nil, nil)
            guard status == 1 else {
                fatalError("keying AES-256-GCM failed: \(OpenSSLErrors.drain())")
            }
            return context
        }
    }
}

/// A keyed encryption context and the nonces it hands out.
private final class Sealer {
    let context: OpaquePointer
    let nonces = NonceBatch()

    init(context: OpaquePointer) {
        self.context = context
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
    }
}

extension UnsafeRawBufferPointer {
    /// The start of the buffer as `const unsigned char *`.
    fileprivate var bytes: UnsafePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The start of the buffer as `unsigned char *`.
    fileprivate var bytes: UnsafeMutablePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}
