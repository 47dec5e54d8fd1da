import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository

/// Text that compresses like prose: words from a small vocabulary.
func proseBytes(count: Int, seed: UInt64) -> [UInt8] {
    let words = ["the", "backup", "of", "a", "file", "is", "kept", "in", "packs", "and", "every", "chunk", "named", "by", "its", "hash", "report", "quarter", "budget", "meeting"]
    var generator = SplitMix64(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 16)
    while bytes.count < count {
        bytes += Array(words[Int(generator.next() % UInt64(words.count))].utf8)
        bytes.append(generator.next() % 12 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
    }
    return Array(bytes.prefix(count))
}

/// Bytes that look encrypted: `openssl enc`'s header, then noise.
func ciphertextBytes(count: Int, seed: UInt64) -> [UInt8] {
    Array(Array("Salted__".utf8) + pseudoRandomBytes(count: max(0, count - 8), seed: seed))
}

private func sample(_ bytes: [UInt8]) -> ContentSample {
    bytes.withUnsafeBytes { ContentSample(firstBytes: $0) }
}

@Suite("Ransomware threshold")
struct RansomwareThresholdTests {
    @Test("N,P% parses; the default is 50 files and 20%", arguments: [
        ("50,20%", 50, 20.0), ("10,5", 10, 5.0), ("1,0%", 1, 0.0), ("3, 12.5%", 3, 12.5), ("100,100%", 100, 100.0),
    ])
    func parses(text: String, files: Int, percent: Double) throws {
        let threshold = try RansomwareThreshold(parsing: text)
        #expect(threshold.minimumFiles == files)
        #expect(threshold.minimumPercent == percent)
        #expect(RansomwareThreshold.default == RansomwareThreshold(minimumFiles: 50, minimumPercent: 20))
        #expect(RansomwareThreshold.default.description == "50,20%")
    }

    @Test("anything else is a clear error", arguments: [
        "", "50", "50,", ",20%", "0,20%", "-1,20%", "50,101%", "50,-1%", "50,20%%", "a,b", "50,nan", "50,inf", "50,20,30", "50,1e2",
        "99999999999999999999,20%",
    ])
    func rejects(text: String) {
        #expect(throws: OperationError.self) { try RansomwareThreshold(parsing: text) }
        do {
            _ = try RansomwareThreshold(parsing: text)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("N,P%"))
        }
    }

    @Test("both conditions must hold, at their boundaries")
    func boundaries() {
        let threshold = RansomwareThreshold.default
        #expect(threshold.isPassed(suspicious: 50, examined: 250))
        #expect(!threshold.isPassed(suspicious: 50, examined: 251), "50 of 251 is below 20%")
        #expect(!threshold.isPassed(suspicious: 49, examined: 49), "fewer than 50 files")
        #expect(threshold.isPassed(suspicious: 1000, examined: 1000))
        #expect(!threshold.isPassed(suspicious: 0, examined: 0))
    }
}

@Suite("Content signatures")
struct ContentSignatureTests {
    @Test("extensions promise magic numbers, without regard to case", arguments: [
        ("report.pdf", Array("%PDF-1.7\n".utf8)), ("Report.PDF", Array("%PDF-1.4".utf8)),
        ("a.docx", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00]), ("a.xlsx", [0x50, 0x4B, 0x03, 0x04]), ("b.odt", [0x50, 0x4B, 0x03, 0x04]),
        ("c.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), ("d.jpg", [0xFF, 0xD8, 0xFF, 0xE0]), ("d.jpeg", [0xFF, 0xD8, 0xFF, 0xE1]),
        ("e.gif", Array("GIF89a".utf8)), ("f.sqlite", Array("SQLite format 3\u{0}".utf8)), ("libz.so.1.3", [0x7F, 0x45, 0x4C, 0x46]),
        ("g.gz", [0x1F, 0x8B, 0x08]), ("h.doc", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]), ("i.mp4", [0, 0, 0, 0x20] + Array("ftypisom".utf8)),
        ("j.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
    ])
    func magicMatches(name: String, head: [UInt8]) throws {
        let signature = try #require(ContentSignature.expected(forName: Array(name.utf8)))
        #expect(signature.matches(head: head, compressibility: .incompressible))
        #expect(!signature.matches(head: Array("Salted__".utf8) + head, compressibility: .incompressible))
        #expect(!signature.matches(head: Array(head.prefix(1)), compressibility: .incompressible), "a head too short matches nothing")
    }

    @Test("names without a checked extension promise nothing", arguments: ["copyright", ".bashrc", "a.unknownext", "notes.", "x.so.abc", "archive.tar.locked"])
    func noSignature(name: String) {
        #expect(ContentSignature.expected(forName: Array(name.utf8)) == nil)
    }

    @Test("a text extension promises contents that are not incompressible")
    func text() throws {
        let signature = try #require(ContentSignature.expected(forName: Array("notes.txt".utf8)))
        #expect(signature == .text)
        #expect(signature.matches(head: [], compressibility: .compressible))
        #expect(signature.matches(head: [], compressibility: .unknown))
        #expect(!signature.matches(head: [], compressibility: .incompressible))
    }
}

@Suite("Compressibility")
struct CompressibilityTests {
    @Test("stored against raw sizes, with the sealing overhead taken off")
    func fromSizes() {
        let overhead = 29
        #expect(Compressibility(storedBytes: 400 + 29, rawBytes: 1000, blobs: 1, overheadPerBlob: overhead, compressionEnabled: true) == .compressible)
        #expect(Compressibility(storedBytes: 1001 + 29, rawBytes: 1000, blobs: 1, overheadPerBlob: overhead, compressionEnabled: true) == .incompressible)
        #expect(Compressibility(storedBytes: 900 + 29, rawBytes: 1000, blobs: 1, overheadPerBlob: overhead, compressionEnabled: true) == .unknown)
        #expect(Compressibility(storedBytes: 100, rawBytes: 1000, blobs: 1, overheadPerBlob: overhead, compressionEnabled: false) == .unknown,
                "a repository without compression says nothing")
        #expect(Compressibility(storedBytes: 100, rawBytes: 511, blobs: 1, overheadPerBlob: overhead, compressionEnabled: true) == .unknown, "too small")
        #expect(Compressibility(storedBytes: 100, rawBytes: 1000, blobs: 0, overheadPerBlob: overhead, compressionEnabled: true) == .unknown)
        #expect(Compressibility(storedBytes: .max, rawBytes: 1000, blobs: .max, overheadPerBlob: .max, compressionEnabled: true) == .unknown,
                "overflowing sizes from a hostile index are no crash")
        #expect(Compressibility(storedBytes: 0, rawBytes: 1000, blobs: 3, overheadPerBlob: overhead, compressionEnabled: true) == .compressible)
    }

    @Test("the entropy of the first bytes: random data does not compress, prose does", arguments: [512, 1000, 4095, 4096, 16384, 300_000])
    func fromSample(length: Int) {
        for seed in UInt64(1)...5 {
            #expect(sample(pseudoRandomBytes(count: length, seed: seed)).compressibility == .incompressible)
            #expect(sample(ciphertextBytes(count: length, seed: seed)).compressibility == .incompressible)
            #expect(sample(proseBytes(count: length, seed: seed)).compressibility == .compressible)
        }
    }

    @Test("below 512 bytes nothing is judged, and the head keeps 32 bytes")
    func small() {
        let short = sample(pseudoRandomBytes(count: 511, seed: 1))
        #expect(short.compressibility == .unknown)
        #expect(short.head.count == ContentSignature.headLength)
        #expect(sample([]).head.isEmpty)
        #expect(Compressibility.incompressibleEntropy(sampleLength: 1 << 20) == 7.8)
        #expect(Compressibility.incompressibleEntropy(sampleLength: 512) < 7.5)
    }
}

@Suite("Ransomware evidence")
struct RansomwareEvidenceTests {
    private let encrypted = sample(ciphertextBytes(count: 8192, seed: 9))
    private let prose = sample(proseBytes(count: 8192, seed: 9))

    private func name(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("changed files that stop compressing are suspicious; those that still compress are not")
    func becameIncompressible() throws {
        var evidence = RansomwareEvidence()
        for index in 0..<60 {
            evidence.record(RansomwareObservation(name: name("f\(index)"), previous: .compressible, sample: encrypted), inDirectory: name("/home/ada"))
        }
        for index in 0..<140 {
            evidence.record(RansomwareObservation(name: name("g\(index)"), previous: .compressible, sample: prose), inDirectory: name("/home/ada/"))
        }
        // Already incompressible before: a new photo over an old one is no sign.
        evidence.record(RansomwareObservation(name: name("photo"), previous: .incompressible, sample: encrypted), inDirectory: name("/home/ada"))
        let suspicion = evidence.suspicion()
        #expect(suspicion.filesExamined == 201)
        #expect(suspicion.filesSuspicious == 60)
        #expect(suspicion.becameIncompressible == 60)
        #expect(suspicion.examples.count == RansomwareEvidence.maximumExamples)
        #expect(suspicion.examples.first == "/home/ada/f0")
        let verdict = try #require(evidence.verdict(.default), "60 of 201 is 29.9%")
        #expect(verdict == suspicion)
        #expect(evidence.verdict(RansomwareThreshold(minimumFiles: 61, minimumPercent: 20)) == nil)
        #expect(evidence.verdict(RansomwareThreshold(minimumFiles: 50, minimumPercent: 30)) == nil)
    }

    @Test("a lost magic number counts only when the new contents do not compress")
    func signatures() {
        var evidence = RansomwareEvidence()
        // Encrypted .pdf whose previous size said nothing: the magic number tells.
        evidence.record(RansomwareObservation(name: name("a.pdf"), previous: .unknown, sample: encrypted), inDirectory: name("/d"))
        // A lock file named like an Office document: not a ZIP, but it compresses.
        evidence.record(RansomwareObservation(name: name("~$b.docx"), previous: .unknown, sample: prose), inDirectory: name("/d"))
        // A real PDF, rewritten.
        let pdf = ContentSample(head: Array("%PDF-1.7".utf8), compressibility: .incompressible)
        evidence.record(RansomwareObservation(name: name("c.pdf"), previous: .unknown, sample: pdf), inDirectory: name("/d"))
        // A .txt that stopped compressing, in a repository that does not compress.
        evidence.record(RansomwareObservation(name: name("d.txt"), previous: .unknown, sample: encrypted), inDirectory: name("/d"))
        // New files carry no sign, whatever their contents.
        evidence.record(RansomwareObservation(name: name("e.pdf"), previous: nil, sample: encrypted), inDirectory: name("/d"))
        let suspicion = evidence.suspicion()
        #expect(suspicion.filesExamined == 5)
        #expect(suspicion.signatureMismatches == 2)
        #expect(suspicion.filesSuspicious == 2)
        #expect(suspicion.examples == ["/d/a.pdf", "/d/d.txt"])
    }

    @Test("renames: appended and replaced extensions pair with the removed file", arguments: [
        ("report.docx", "report.docx.locked"), ("report.docx", "report.docx.id-7f3a.[mail@example.com].crypt"), ("report.pdf", "report.locked"),
    ])
    func renamePairs(old: String, new: String) {
        var evidence = RansomwareEvidence()
        evidence.record(RansomwareObservation(name: name(new), previous: nil, sample: encrypted), inDirectory: name("/d"))
        evidence.finishDirectory(name("/d"), removed: [RansomwareRemovedFile(name: name(old), previous: .compressible)])
        let suspicion = evidence.suspicion()
        #expect(suspicion.filesExamined == 1)
        #expect(suspicion.filesSuspicious == 1, "the original compressed, or its extension promised a magic number")
        #expect(suspicion.examples == ["/d/" + new])
    }

    @Test("a shared new extension is a sign when five or more renames share it; a rename to another extension alone is not")
    func sharedExtension() {
        func evidence(renames: Int, previous: Compressibility, contents: ContentSample) -> SnapshotSuspicion {
            var evidence = RansomwareEvidence()
            var removed: [RansomwareRemovedFile] = []
            for index in 0..<renames {
                // No extension with a signature: only the rename can tell.
                evidence.record(RansomwareObservation(name: name("data\(index).bin.enc"), previous: nil, sample: contents), inDirectory: name("/d"))
                removed.append(RansomwareRemovedFile(name: name("data\(index).bin"), previous: previous))
            }
            evidence.finishDirectory(name("/d"), removed: removed)
            return evidence.suspicion()
        }
        let four = evidence(renames: 4, previous: .unknown, contents: encrypted)
        #expect((four.filesSuspicious, four.renamed, four.renamedTo) == (0, 0, []))
        let five = evidence(renames: 5, previous: .unknown, contents: encrypted)
        #expect((five.filesSuspicious, five.renamed, five.renamedTo) == (5, 5, ["enc"]))
        #expect(five.examples.count == 5)
        // Converting 100 notes from .txt to .md: they still compress.
        var converted = RansomwareEvidence()
        var removed: [RansomwareRemovedFile] = []
        for index in 0..<100 {
            converted.record(RansomwareObservation(name: name("n\(index).md"), previous: nil, sample: prose), inDirectory: name("/notes"))
            removed.append(RansomwareRemovedFile(name: name("n\(index).txt"), previous: .compressible))
        }
        converted.finishDirectory(name("/notes"), removed: removed)
        #expect(converted.suspicion().filesSuspicious == 0)
        #expect(converted.suspicion().filesExamined == 100)
    }

    @Test("renames pair only within a directory, each removed file once; unfinished directories count as losing nothing")
    func pairingLimits() {
        var evidence = RansomwareEvidence()
        evidence.record(RansomwareObservation(name: name("a.txt.locked"), previous: nil, sample: encrypted), inDirectory: name("/one"))
        evidence.record(RansomwareObservation(name: name("a.txt.x.locked"), previous: nil, sample: encrypted), inDirectory: name("/one"))
        evidence.record(RansomwareObservation(name: name("b.txt.locked"), previous: nil, sample: encrypted), inDirectory: name("/two"))
        evidence.finishDirectory(name("/one"), removed: [RansomwareRemovedFile(name: name("a.txt"), previous: .compressible),
                                                        RansomwareRemovedFile(name: name("b.txt"), previous: .compressible)])
        let suspicion = evidence.suspicion()
        #expect(suspicion.filesExamined == 3)
        #expect(suspicion.filesSuspicious == 1, "a.txt pairs once; b.txt is in another directory")
        #expect(suspicion.examples == ["/one/a.txt.locked"])
    }

    @Test("hostile names: control characters and invalid UTF-8 come out escaped")
    func hostileNames() {
        var evidence = RansomwareEvidence()
        evidence.record(RansomwareObservation(name: [0x61, 0x0A, 0xFF, 0x2E, 0x70, 0x64, 0x66], previous: .compressible, sample: encrypted), inDirectory: name("/d"))
        #expect(evidence.suspicion().examples == [#"/d/a\n\xff.pdf"#])
    }
}
