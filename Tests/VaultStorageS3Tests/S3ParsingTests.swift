import Testing
import VaultStorage
@testable import VaultStorageS3

@Suite("S3 locations, answers and hostile input")
struct S3ParsingTests {
    @Test func locationsParse() throws {
        let plain = try S3Location(parsing: "http://127.0.0.1:8333/backups")
        #expect(plain.endpoint == "http://127.0.0.1:8333" && plain.bucket == "backups" && plain.prefix.isEmpty)
        #expect(plain.key(of: .config) == "config")
        let nested = try S3Location(parsing: "https://s3.example.com/my-bucket/hosts/ada/")
        #expect(nested.hostHeader == "s3.example.com" && nested.prefix == "hosts/ada")
        #expect(nested.description == "s3:https://s3.example.com/my-bucket/hosts/ada")
        let pack = try ObjectName(kind: .data, name: "ab" + String(repeating: "0", count: 62))
        #expect(nested.key(of: pack) == "hosts/ada/data/ab/\(pack.name)")
        #expect(nested.name(ofKey: "hosts/ada/data/ab/\(pack.name)", kind: .data) == pack)
        #expect(nested.name(ofKey: "hosts/ada/data/cd/\(pack.name)", kind: .data) == nil, "wrong shard")
        #expect(nested.name(ofKey: "hosts/ada/config", kind: .config) == .config)
        #expect(nested.name(ofKey: "hosts/adam/config", kind: .config) == nil)
        #expect(nested.name(ofKey: "hosts/ada/keys/../config", kind: .keys) == nil)
        #expect(try S3Location(parsing: "http://[::1]:9000/bkt").hostHeader == "[::1]:9000")
        #expect(try S3Location(parsing: "http://host:80/bkt").hostHeader == "host")
    }

    @Test(arguments: [
        "127.0.0.1:8333/bucket", "ftp://host/bucket", "http://host", "http://host/", "http://host:0/bucket", "http://host:99999/bucket",
        "http://host/Bucket", "http://host/ab", "http://host/-bucket", "http://user@host/bucket", "http://host/bucket?x=1",
        "http://host/bucket/a//b", "http://host/bucket/../x", "http://host/bucket/a b", "http://host/bucket/%2e", "http://host:/bucket",
    ])
    func malformedLocationsAreRefused(_ text: String) {
        let error = #expect(throws: StorageError.self) { try S3Location(parsing: text) }
        #expect(error?.code == .invalidName)
        #expect(error?.message.contains("s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]") == true)
    }

    @Test func credentialsComeFromTheEnvironment() throws {
        let full = try S3Credentials(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t", "AWS_DEFAULT_REGION": "eu-west-1"])
        #expect(full == S3Credentials(accessKeyID: "a", secretAccessKey: "s", sessionToken: "t", region: "eu-west-1"))
        #expect(try S3Credentials(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"]).region == "us-east-1")
        let error = #expect(throws: StorageError.self) { try S3Credentials(environment: ["AWS_ACCESS_KEY_ID": "a"]) }
        #expect(error?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func listingsAndErrorsParse() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
            <Contents><Key>a&amp;b&#x3C;&#62;</Key><Size>12</Size><LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents>
            <Contents><Key><![CDATA[x<y]]></Key><Size>0</Size></Contents>
            <IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
            </ListBucketResult>
            """
        let root = try S3XML.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.children("Contents").map { $0.text(of: "Key") } == ["a&b<>", "x<y"])
        #expect(root.text(of: "NextContinuationToken") == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(S3Time.parseISO8601("2009-10-12T17:50:30.000Z") == StorageTime(nanosecondsSinceEpoch: 1_255_369_830 * 1_000_000_000))
        #expect(S3Time.parseISO8601("2009-10-12T17:50:30.5Z")?.nanosecondsSinceEpoch == 1_255_369_830_500_000_000)
        #expect(S3Time.parseHTTPDate("Mon, 12 Oct 2009 17:50:30 GMT") == StorageTime(nanosecondsSinceEpoch: 1_255_369_830 * 1_000_000_000))
        // Times past 2262 (a hostile or broken server) clamp to the last nanosecond instead of trapping.
        #expect(S3Time.parseISO8601("9999-12-31T23:59:59.999Z") == StorageTime(nanosecondsSinceEpoch: .max))
        #expect(S3Time.parseHTTPDate("Fri, 31 Dec 9999 23:59:59 GMT") == StorageTime(nanosecondsSinceEpoch: .max))
        #expect(S3Time.parseISO8601("2300-01-01T00:00:00Z") == StorageTime(nanosecondsSinceEpoch: .max))
        #expect(S3Storage.parseContentRange("bytes 0-9/1000")! == (0, 9, 1000))
        #expect(S3Storage.parseContentRange("bytes 5-4/1000") == nil)
        #expect(S3Storage.parseContentRange("bytes 0-9/5") == nil)
        #expect(S3Storage.parseContentRange("bytes 0-99999999999999999999/5") == nil)
    }

    @Test(arguments: [
        "", "<", "<a>", "<a></b>", "<a><b></a></b>", "<a>&unknown;</a>", "<a>&#0;</a>", "<a>&#x110000;</a>", "<a>&#xZZ;</a>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a x=1></a>", "<a x=\"1></a>", "<a></a><b></b>", "<a><![CDATA[x</a>",
        "<a>\u{FF}</a>", String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100), "<a>&amp</a>", "<1a></1a>x",
    ])
    func malformedXMLIsAnErrorNeverACrash(_ text: String) {
        var bytes = Array(text.utf8)
        if text == "<a>\u{FF}</a>" { bytes = [0x3C, 0x61, 0x3E, 0xFF, 0x3C, 0x2F, 0x61, 0x3E] }
        #expect(throws: S3XMLError.self) { try S3XML.parse(bytes) }
    }

    @Test func randomBytesNeverCrashTheParser() {
        var state: UInt64 = 42
        let alphabet = Array("<>/&;#x![]CDATA-?= \"'abc".utf8)
        for _ in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let count = Int(state >> 58)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            _ = try? S3XML.parse(bytes)
        }
    }

    @Test(arguments: ["", "2009-10-12", "2009-13-12T17:50:30Z", "2009-10-12T25:50:30Z", "2009-10-12T17:50:30.Z", "2009-10-12T17:50:30.0000000000Z", "x009-10-12T17:50:30Z"])
    func malformedTimesAreRefused(_ text: String) {
        #expect(S3Time.parseISO8601(text) == nil)
        #expect(S3Time.parseHTTPDate(text) == nil)
    }

    @Test func errorAnswersBecomeOneLineStorageErrors() throws {
        let location = try S3Location(parsing: "http://127.0.0.1:1/bkt")
        func answer(_ status: Int, _ code: String) -> StorageError {
            let body = "<Error><Code>\(code)</Code><Message>Line one\nline two</Message></Error>"
            return S3ErrorAnswer.error(S3Response(status: status, headers: [:], body: Array(body.utf8)), location: location, name: .config, action: "cannot read")
        }
        let denied = answer(403, "AccessDenied")
        #expect(denied.code == .permissionDenied && !denied.isTransient)
        #expect(denied.message == "cannot read config: S3 answered 403 AccessDenied (Line oneline two) at s3:http://127.0.0.1:1/bkt")
        #expect(answer(403, "SignatureDoesNotMatch").message.hasSuffix("the secret key is wrong (check AWS_SECRET_ACCESS_KEY)"))
        #expect(answer(404, "NoSuchBucket").code == .locationUnavailable)
        #expect(answer(404, "NoSuchKey").code == .notFound)
        #expect(answer(416, "InvalidRange").code == .invalidRange)
        #expect(answer(503, "SlowDown").isTransient)
        #expect(answer(500, "InternalError").isTransient)
        #expect(answer(429, "TooManyRequests").isTransient)
        #expect(!answer(400, "BadDigest").isTransient)
        let garbage = S3ErrorAnswer.error(S3Response(status: 502, headers: [:], body: Array("<html>".utf8)), location: location, name: nil, action: "cannot list")
        #expect(garbage.message == "cannot list: S3 answered 502 at s3:http://127.0.0.1:1/bkt" && garbage.isTransient)
    }
}
