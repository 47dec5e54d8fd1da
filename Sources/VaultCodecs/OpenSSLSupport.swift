internal import COpenSSL

/// The OpenSSL algorithms this module uses, fetched once from the default
/// provider and shared by every thread (fetched objects are immutable).
///
/// Fetching is a locked lookup in the provider store, far too slow to do
/// per call.
enum OpenSSLAlgorithms {
    /// SHA2-256 (`EVP_MD`).
    nonisolated(unsafe) static let sha256: OpaquePointer = {
        do {
            return try fetchDigest("SHA2-256")
        } catch {
            fatalError("OpenSSL has no SHA2-256: \(error)")
        }
    }()

    /// Fetches a digest by name from the default provider.
    ///
    /// - Parameter name: An OpenSSL digest name, e.g. `"SHA2-256"`.
    /// - Returns: An `EVP_MD` the caller owns.
    /// - Throws: ``CodecError`` `.library`, with OpenSSL's reason, when the
    ///   provider has no such digest.
    static func fetchDigest(_ name: String) throws(CodecError) -> OpaquePointer {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            throw OpenSSLErrors.error("EVP_MD_fetch(\(name))")
        }
        return md
    }

    /// AES-256-GCM (`EVP_CIPHER`).
    nonisolated(unsafe) static let aes256GCM: OpaquePointer = {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fatalError("OpenSSL has no AES-256-GCM: \(OpenSSLErrors.drain())")
        }
        return cipher
    }()

    /// scrypt (`EVP_KDF`).
    nonisolated(unsafe) static let scrypt: OpaquePointer = {
        guard let kdf = EVP_KDF_fetch(nil, "SCRYPT", nil) else {
            fatalError("OpenSSL has no SCRYPT: \(OpenSSLErrors.drain())")
        }
        return kdf
    }()
}

/// Reads OpenSSL's per-thread error queue.
enum OpenSSLErrors {
    /// Empties this thread's error queue and describes what it held.
    ///
    /// - Returns: The queued error strings joined by "; ", or a note that the
    ///   queue was empty.
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if messages.count < 4 { messages.append(describe(code)) }
        }
        return messages.isEmpty ? "no OpenSSL error queued" : messages.joined(separator: "; ")
    }

    /// A `.library` error for a failed OpenSSL call, with the queued error strings.
    ///
    /// - Parameter operation: The name of the failed call, e.g. `"EVP_EncryptUpdate"`.
    static func error(_ operation: String) -> CodecError {
        CodecError(.library, "\(operation) failed: \(drain())")
    }

    /// Discards whatever this thread's error queue holds.
    static func clear() {
        ERR_clear_error()
    }

    private static func describe(_ code: UInt) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }
}
