import Testing
@testable import VaultCodecs

@Suite struct CodecErrorTests {
    @Test func descriptionNamesCodeAndMessage() {
        let error = CodecError(.outputTooLarge, "the zlib stream decodes to more than the 10 bytes allowed")
        #expect(error.description == "outputTooLarge: the zlib stream decodes to more than the 10 bytes allowed")
        #expect("\(error)" == error.description)
    }

    @Test func errorsThrownByCodecsCarryAnActionableMessage() throws {
        let error = #expect(throws: CodecError.self) { try AES256GCM(key: [1, 2, 3]) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.contains("32 bytes") == true)
        #expect(error?.message.contains("not 3") == true)
    }

    @Test func libraryErrorsCarryOpenSSLsReason() {
        let error = #expect(throws: CodecError.self) { try OpenSSLAlgorithms.fetchDigest("NO-SUCH-DIGEST") }
        #expect(error?.code == .library)
        // e.g. "EVP_MD_fetch(NO-SUCH-DIGEST) failed: error:0308010C:digital envelope routines::unsupported"
        #expect(error?.message.hasPrefix("EVP_MD_fetch(NO-SUCH-DIGEST) failed: error:") == true)
        #expect(error?.message.contains("unsupported") == true)
    }

    @Test func openSSLErrorDescriptionIsNeverEmpty() {
        // With nothing queued it says so, rather than returning an empty reason.
        OpenSSLErrors.clear()
        let error = OpenSSLErrors.error("EVP_Something")
        #expect(error.code == .library)
        #expect(error.message == "EVP_Something failed: no OpenSSL error queued")
    }
}
