import Testing
import VaultStorage
@testable import VaultStorageS3

/// Known answers from the worked examples of AWS's "Signature Calculations
/// for the Authorization Header" (Amazon S3, Signature Version 4): the
/// example credentials, bucket `examplebucket`, 2013-05-24.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let signer = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let amzDate = "20130524T000000Z"

    @Test("GET Object: the first 10 bytes of test.txt")
    func getObject() {
        let request = SigV4Signer.Request(
            method: "GET", path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", Self.amzDate)],
            payloadHash: Self.emptyHash)
        #expect(Self.signer.canonicalRequest(request) == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(Self.emptyHash)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(Self.emptyHash)
            """)
        #expect(Self.signer.stringToSign(request, amzDate: Self.amzDate) == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(Self.signer.signature(request, amzDate: Self.amzDate) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(Self.signer.authorization(request, amzDate: Self.amzDate) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("GET Bucket (List Objects): max-keys=2, prefix=J")
    func listObjects() {
        let request = SigV4Signer.Request(
            method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", Self.amzDate)],
            payloadHash: Self.emptyHash)
        #expect(Self.signer.canonicalRequest(request).split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(Self.signer.signature(request, amzDate: Self.amzDate) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("GET Bucket Lifecycle: a query item without a value")
    func lifecycle() {
        let request = SigV4Signer.Request(
            method: "GET", path: "/", query: [("lifecycle", "")],
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", Self.amzDate)],
            payloadHash: Self.emptyHash)
        #expect(Self.signer.signature(request, amzDate: Self.amzDate) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("PUT Object: a body, a Date header and a storage class")
    func putObject() {
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let request = SigV4Signer.Request(
            method: "PUT", path: "/test$file.text",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-date", Self.amzDate), ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", payload),
            ],
            payloadHash: payload)
        #expect(Self.signer.canonicalRequest(request).split(separator: "\n")[1] == "/test%24file.text")
        #expect(Self.signer.signature(request, amzDate: Self.amzDate) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func encodingKeepsUnreservedCharactersOnly() {
        #expect(SigV4Signer.encode("a-Z_0.9~/ +=é", keepSlash: true) == "a-Z_0.9~/%20%2B%3D%C3%A9")
        #expect(SigV4Signer.encode("a/b", keepSlash: false) == "a%2Fb")
    }

    @Test func amzDateFormatsUTC() {
        #expect(S3Time.amzDate(StorageTime(nanosecondsSinceEpoch: 1_369_353_600 * 1_000_000_000)) == "20130524T000000Z")
        #expect(S3Time.amzDate(StorageTime(nanosecondsSinceEpoch: 951_868_799 * 1_000_000_000 + 999)) == "20000229T235959Z")
    }
}
