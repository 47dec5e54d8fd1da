import Foundation
import Testing
import VaultCodecs
import VaultPOSIX
import VaultRepository
@testable import VaultOperations

/// `--verify`, and the check it runs on each file.
@Suite("restore: verify")
struct RestoreVerifyTests {
    @Test("--verify reads every restored file back and counts what it checked")
    func verifies() async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try TestFiles.write(TestFiles.join(source, "a"), TestFiles.random(500_000, seed: 30))
        try TestFiles.write(TestFiles.join(source, "b"), Array("bee".utf8))
        try TestFiles.write(TestFiles.join(source, "empty"), [])
        try TestFiles.link(TestFiles.join(source, "a"), TestFiles.join(source, "a-again"))
        try await fixture.backup([source])
        let result = try await fixture.restore("latest:\(source)", into: fixture.scratch.appending("target")) { $0.verifies = true }
        let verification = try #require(result.verification)
        #expect(verification.files == 3)
        #expect(verification.bytes == 500_003)
        #expect(verification.mismatches == [])
        #expect(result.isComplete)

        let unverified = try await fixture.restore("latest:\(source)", into: fixture.scratch.appending("other"))
        #expect(unverified.verification == nil)
    }

    @Test("the check names the first chunk that differs, and files too short or too long")
    func check() throws {
        let scratch = try RestoreScratch()
        let identifier = BlobIdentifier.plain
        let contents = TestFiles.random(3000, seed: 31)
        let chunks = [
            RestoreVerifier.Chunk(id: identifier.id(of: Array(contents[0..<1000])), length: 1000),
            RestoreVerifier.Chunk(id: identifier.id(of: Array(contents[1000..<3000])), length: 2000),
        ]
        let path = TestFiles.join(scratch.path, "file")
        func outcome(_ bytes: [UInt8]) throws -> RestoreVerifier.Outcome {
            try TestFiles.write(path, bytes)
            let file = try FileDescriptor.open(FilePath(bytes: path), .readOnly)
            return try file.closeAfter { () throws(SystemError) in try RestoreVerifier.check(file, chunks: chunks, identifier: identifier) }
        }
        #expect(try outcome(contents) == .matches(bytes: 3000))
        var tampered = contents
        tampered[2500] ^= 1
        #expect(try outcome(tampered) == .mismatch("chunk 2 of 2 (bytes 1000..<3000) differs from the snapshot"))
        #expect(try outcome(contents + [0]) == .mismatch("the file is longer than the snapshot's 3000 bytes"))
        #expect(try outcome(Array(contents[0..<1500])) == .mismatch("the file ends at 1500 bytes, the snapshot has more"))
        #expect(try outcome([]) == .mismatch("the file ends at 0 bytes, the snapshot has more"))
        try TestFiles.write(path, [])
        let file = try FileDescriptor.open(FilePath(bytes: path), .readOnly)
        #expect(try file.closeAfter { () throws(SystemError) in try RestoreVerifier.check(file, chunks: [], identifier: identifier) } == .matches(bytes: 0))
    }

    @Test("a file changed after the restore is caught by verifying it")
    func tamperedAfterRestore() async throws {
        let fixture = try await RestoreFixture()
        let source = fixture.scratch.appending("src")
        try TestFiles.makeDirectory(TestFiles.bytes(source))
        try TestFiles.write(TestFiles.join(source, "file"), TestFiles.random(200_000, seed: 32))
        try await fixture.backup([source])
        let target = fixture.scratch.appending("target")
        _ = try await fixture.restore("latest:\(source)", into: target)
        // Change one byte but keep size and time: if-changed keeps the file, verify notices.
        let path = TestFiles.join(target, "file")
        let before = try TestFiles.status(path)
        let file = try FileDescriptor.open(FilePath(bytes: path), .readWrite)
        let flipped = try file.read(fromAbsoluteOffset: 150_000, count: 1).map { $0 ^ 0xFF }
        try flipped.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: 150_000, $0) }
        try file.setTimes(access: before.modificationTime, modification: before.modificationTime)
        try file.close()
        let result = try await fixture.restore("latest:\(source)", into: target) {
            $0.overwrite = .ifChanged
            $0.verifies = true
        }
        #expect(result.summary.filesUnchanged == 1)
        #expect(result.verification?.mismatches.count == 1)
        #expect(result.verification?.mismatches.first?.reason.contains("differs from the snapshot") == true)
    }
}
