import Foundation
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository

/// The report's lines: human text and newline-delimited JSON.
@Suite("verify: report output")
struct VerifyReportTests {
    static let snapshot = SnapshotID(SHA256Hasher.hash(Array("snapshot".utf8)))
    static let pack = PackID(SHA256Hasher.hash(Array("pack".utf8)))
    static let blob = SHA256Hasher.hash(Array("blob".utf8))

    static func damagedReport() -> VerifyReport {
        var report = VerifyReport()
        report.findings = [
            VerifyFinding(.packHashMismatch, .pack(pack), "contents do not match its name (their SHA-256 is 0c5f3e21)"),
            VerifyFinding(.blobDamaged, .blob(blob, .data, pack: pack), "damaged: AES-256-GCM tag mismatch"),
            VerifyFinding(.packUnindexed, .pack(PackID(blob)), "in no index (3 blobs): an interrupted backup left it, or its index file is lost"),
        ]
        let loss = VerifyBlobLoss(blob: blob, type: .data, pack: pack, reason: "AES-256-GCM tag mismatch")
        report.affected = [
            VerifyAffectedPath(snapshot: snapshot, path: "/srv/projects/thesis.tex", isDirectory: false, loss: loss, otherLostChunks: 2),
            VerifyAffectedPath(snapshot: snapshot, path: "/srv/\"odd\"\nname\u{1}\\", isDirectory: false, loss: loss),
        ]
        report.statistics.snapshots = 1
        report.statistics.trees = 4
        report.statistics.packs = 2
        report.statistics.packsRead = 2
        report.statistics.bytesRead = 3 << 20
        return report
    }

    @Test("human lines name the object, the file and the cause")
    func humanLines() {
        let report = Self.damagedReport()
        #expect(report.findings.map(\.description) == [
            "pack \(Self.pack.shortHex): contents do not match its name (their SHA-256 is 0c5f3e21)",
            "chunk \(Self.blob.shortHex) in pack \(Self.pack.shortHex): damaged: AES-256-GCM tag mismatch",
            "note: pack \(Self.blob.shortHex): in no index (3 blobs): an interrupted backup left it, or its index file is lost",
        ])
        #expect(report.affected[0].description
            == "snapshot \(Self.snapshot.shortHex): /srv/projects/thesis.tex (chunk \(Self.blob.shortHex): in pack \(Self.pack.shortHex): AES-256-GCM tag mismatch; 2 more chunks lost)")
        #expect(report.summary == "2 problems found; 2 files in 1 snapshot affected (checked 1 snapshot, 4 trees, 2 packs; read 2 packs, 3.0 MiB)")
    }

    @Test("JSON lines: one valid object per finding and affected path, then the summary; strings escaped")
    func jsonLines() throws {
        let report = Self.damagedReport()
        let lines = report.jsonLines
        #expect(lines.count == 3 + 2 + 1)
        let objects = try lines.map { line in
            #expect(!line.contains("\n"))
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["type"] as? String } == ["error", "error", "note", "affected", "affected", "summary"])
        #expect(objects[1]["kind"] as? String == "blob-damaged")
        #expect(objects[1]["object"] as? String == "chunk")
        #expect(objects[1]["id"] as? String == Self.blob.hex)
        #expect(objects[1]["pack"] as? String == Self.pack.hex)
        #expect(objects[3]["path"] as? String == "/srv/projects/thesis.tex")
        #expect(objects[3]["otherLostChunks"] as? Int == 2)
        #expect(objects[4]["path"] as? String == "/srv/\"odd\"\nname\u{1}\\")
        #expect(objects[5]["status"] as? String == "damaged")
        #expect(objects[5]["problems"] as? Int == 2)
        #expect(objects[5]["notes"] as? Int == 1)
        #expect(objects[5]["affectedFiles"] as? Int == 2)
        #expect(objects[5]["affectedSnapshots"] as? Int == 1)
        #expect(objects[5]["bytesRead"] as? Int == 3 << 20)
    }
}
