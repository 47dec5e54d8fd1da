import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

/// `verify` against damaged repositories: each test damages one thing and
/// asserts the exact report, which objects and which files.
@Suite("verify: faults", .timeLimit(.minutes(5)))
struct VerifyFaultTests {
    @Test("a byte flipped in each of three packs: --read-data names those packs, those chunks and every file using them", arguments: [true, false])
    func flippedBytes(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let packs = Array(try await fixture.dataPacks().prefix(3))
        try #require(packs.count == 3)
        var damaged: [(pack: PackID, blob: Digest256)] = []
        for pack in packs {
            let blobs = try await fixture.blobs(inPack: pack)
            let blob = blobs[blobs.count / 2].id
            try await fixture.damage(.data(blob))
            damaged.append((pack, blob))
        }

        // The structural check reads no pack contents: it cannot see this, and must not invent anything.
        let structural = try await fixture.verify()
        #expect(structural.findings.isEmpty, "\(structural.findings)")
        #expect(structural.affected.isEmpty)

        let report = try await fixture.verify(.all)
        #expect(report.findingSummaries == damaged.flatMap { ["pack-hash-mismatch pack \($0.pack.shortHex)", "blob-damaged chunk \($0.blob.shortHex) in pack \($0.pack.shortHex)"] })
        let expected = fixture.expectedDamage(lost: Set(damaged.map(\.blob)))
        #expect(!expected.paths.isEmpty)
        #expect(report.affectedPaths == expected.paths)
        for entry in report.affected {
            #expect(damaged.contains { $0.pack == entry.loss.pack && $0.blob == entry.loss.blob }, "\(entry)")
            if encrypted {
                #expect(entry.loss.reason.hasPrefix("AES-256-GCM tag mismatch"), "\(entry)")
            }
        }
        #expect(report.hasDamage)
        #expect(report.statistics.packsRead == (try await fixture.packs()).count)
        let snapshots = Set(expected.paths.map(\.snapshot)).count
        let files = expected.paths.count
        #expect(report.summary.hasPrefix("6 problems found; \(files) file\(files == 1 ? "" : "s") in \(snapshots) snapshot\(snapshots == 1 ? "" : "s") affected"))
    }

    @Test("a truncated pack: the structural check names it and the files whose chunks lie past its end", arguments: [true, false])
    func truncatedPack(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let pack = try await fixture.fullestDataPack()
        let path = fixture.path(ofPack: pack)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let newSize = bytes.count / 2
        try Data(bytes.prefix(newSize)).write(to: URL(fileURLWithPath: path))
        let blobs = try await fixture.blobs(inPack: pack)
        let lost = blobs.filter { Int($0.location.offset + $0.location.length) > newSize }.map(\.id)
        try #require(!lost.isEmpty && lost.count < blobs.count)
        let expected = fixture.expectedDamage(lost: Set(lost))

        for selection in [VerifyDataSelection.none, .all] {
            let report = try await fixture.verify(selection)
            #expect(report.findingSummaries == ["pack-size-mismatch pack \(pack.shortHex)"], "\(selection)")
            #expect(report.findings.first?.message == "\(newSize) bytes where the index says \(bytes.count); \(lost.count) of its \(blobs.count) blobs lie past its end")
            #expect(report.affectedPaths == expected.paths, "\(selection)")
            #expect(report.affected.allSatisfy { $0.loss.pack == pack && $0.loss.reason == "lies past the end of the pack" })
            if selection == .all {
                // The blobs before the cut were read and are intact.
                #expect(report.statistics.blobsRead == (try await fixture.index().chunks.count) - lost.count)
            }
        }
    }

    @Test("a missing pack: named, and every file with a chunk in it", arguments: [true, false])
    func missingPack(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let pack = try await fixture.fullestDataPack()
        let blobs = try await fixture.blobs(inPack: pack).map(\.id)
        try #require(blobs.count > 1)
        try FileManager.default.removeItem(atPath: fixture.path(ofPack: pack))
        let expected = fixture.expectedDamage(lost: Set(blobs))
        #expect(!expected.paths.isEmpty)

        for selection in [VerifyDataSelection.none, .all] {
            let report = try await fixture.verify(selection)
            #expect(report.findingSummaries == ["pack-missing pack \(pack.shortHex)"])
            #expect(report.findings.first?.message == "missing; the index lists \(blobs.count) blobs in it")
            #expect(report.affectedPaths == expected.paths)
            #expect(report.affected.allSatisfy { $0.loss.pack == pack && $0.loss.reason == "the pack is missing" })
            let line = try #require(report.affected.first).description
            #expect(line.hasPrefix("snapshot \(expected.paths[0].snapshot.shortHex): \(expected.paths[0].path) (chunk \(report.affected[0].loss.blob.shortHex): in pack \(pack.shortHex): the pack is missing"))
        }
    }

    @Test(
        "a deleted or damaged index file: its packs become unindexed notes, their blobs missing, every file and directory named",
        arguments: [(true, "deleted"), (false, "deleted"), (true, "damaged")]
    )
    func lostIndexFile(encrypted: Bool, how: String) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let first = fixture.indexFiles[0]
        let name = try ObjectName(kind: .index, name: first.hex)
        let file = try IndexFile(decoding: try await fixture.repository.loadObject(name), what: "index")
        let packs = file.packs.map(\.id).sorted()
        var holder: [Digest256: PackID] = [:]
        for pack in file.packs {
            for blob in pack.blobs { holder[blob.id] = pack.id }
        }
        if how == "deleted" {
            try FileManager.default.removeItem(atPath: fixture.path(of: name))
        } else {
            try fixture.flipByte(at: 40, ofFileAt: fixture.path(of: name))
        }

        let report = try await fixture.verify()
        let expected = fixture.expectedDamage(lost: Set(holder.keys))
        var expectedFindings = how == "damaged" ? ["index-damaged index \(first.shortHex)"] : []
        expectedFindings += packs.map { "pack-unindexed pack \($0.shortHex)" }
        #expect(Array(report.findingSummaries.prefix(expectedFindings.count)) == expectedFindings)
        let missing = report.findings.dropFirst(expectedFindings.count)
        #expect(missing.allSatisfy { $0.kind == .blobMissing })
        #expect(Set(missing.compactMap(\.object.id)) == expected.reachedBlobs)
        #expect(missing.count == expected.reachedBlobs.count)
        for finding in missing {
            #expect(finding.message == "not in the index; unindexed pack \(holder[finding.object.id!]!.shortHex) holds it")
        }
        // Snapshot 1's root tree was in the lost index: everything it backed up is named.
        #expect(expected.paths.first == VerifyExpectedPath(snapshot: fixture.snapshot(1).id, path: "/srv/projects", isDirectory: true))
        #expect(expected.paths.contains(VerifyExpectedPath(snapshot: fixture.snapshot(2).id, path: "/srv/projects/src", isDirectory: true)))
        #expect(expected.paths.contains(VerifyExpectedPath(snapshot: fixture.snapshot(2).id, path: "/home/ada/copy-of-main.c", isDirectory: false)))
        #expect(report.affectedPaths == expected.paths)
        #expect(!report.affected.contains { $0.snapshot == fixture.snapshot(3).id })
        #expect(report.hasDamage)
    }

    @Test("a damaged snapshot file: that snapshot is named unreadable, the others check clean", arguments: [true, false])
    func damagedSnapshot(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let snapshot = fixture.snapshot(2).id
        try fixture.flipByte(at: 30, ofFileAt: fixture.path(of: try ObjectName(kind: .snapshots, name: snapshot.hex)))

        let report = try await fixture.verify(.all)
        #expect(report.findingSummaries == ["snapshot-damaged snapshot \(snapshot.shortHex)"])
        #expect(report.findings.first?.message == "damaged: its contents do not match its name; its files cannot be listed: 'vault repair snapshots --forget-damaged' removes it")
        #expect(report.unreadableSnapshots == [snapshot])
        #expect(report.affected.isEmpty)
        #expect(report.statistics.snapshots == 2)
        #expect(report.summary.hasPrefix("1 problem found; no files affected; 1 snapshot unreadable"))
    }

    @Test("a damaged tree blob: the directory is named, with everything below it, in every snapshot that has it", arguments: [true, false])
    func damagedTree(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let tree = try #require(fixture.tree(of: "/srv/projects/src"))
        #expect(fixture.tree(of: "/srv/projects/src", inSnapshot: 2) == tree)
        let pack = try await fixture.location(of: .tree(tree)).pack
        try await fixture.damage(.tree(tree))
        let expectedPaths = [1, 2].map { VerifyExpectedPath(snapshot: fixture.snapshot($0).id, path: "/srv/projects/src", isDirectory: true) }
        #expect(fixture.expectedDamage(lost: [tree]).paths == expectedPaths)

        let structural = try await fixture.verify()
        #expect(structural.findingSummaries == ["blob-damaged tree \(tree.shortHex) in pack \(pack.shortHex)"])
        #expect(structural.affectedPaths == expectedPaths)

        let report = try await fixture.verify(.all)
        #expect(report.findingSummaries == ["pack-hash-mismatch pack \(pack.shortHex)", "blob-damaged tree \(tree.shortHex) in pack \(pack.shortHex)"])
        #expect(report.affectedPaths == expectedPaths)
        #expect(report.affected.allSatisfy { $0.loss.blob == tree && $0.loss.type == .tree && $0.loss.pack == pack })
        #expect("\(report.affected[0])".hasPrefix("snapshot \(fixture.snapshot(1).id.shortHex): /srv/projects/src and everything below it (tree \(tree.shortHex): in pack \(pack.shortHex): "))
        #expect(report.summary.hasPrefix("2 problems found; 2 directories (with everything below them) in 2 snapshots affected"))
    }

    @Test("two stored blobs of equal length swapped inside a pack: only --read-data can tell, and it does", arguments: [true, false])
    func swappedBlobs(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let hosts = try #require(fixture.chunks(of: "/etc/hosts", inSnapshot: 3).first)
        let passwd = try #require(fixture.chunks(of: "/etc/passwd", inSnapshot: 3).first)
        let a = try await fixture.location(of: .data(hosts))
        let b = try await fixture.location(of: .data(passwd))
        try #require(a.pack == b.pack && a.length == b.length && a.offset < b.offset)
        let path = fixture.path(ofPack: a.pack)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let first = Array(bytes[Int(a.offset)..<Int(a.offset + a.length)])
        bytes.replaceSubrange(Int(a.offset)..<Int(a.offset + a.length), with: bytes[Int(b.offset)..<Int(b.offset + b.length)])
        bytes.replaceSubrange(Int(b.offset)..<Int(b.offset + b.length), with: first)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let structural = try await fixture.verify()
        #expect(structural.findings.isEmpty, "\(structural.findings)")

        let report = try await fixture.verify(.all)
        #expect(report.findingSummaries == [
            "pack-hash-mismatch pack \(a.pack.shortHex)",
            "blob-damaged chunk \(hosts.shortHex) in pack \(a.pack.shortHex)",
            "blob-damaged chunk \(passwd.shortHex) in pack \(a.pack.shortHex)",
        ])
        #expect(report.findings.dropFirst().allSatisfy { $0.message == "damaged: contents do not match its ID" })
        let snapshot = fixture.snapshot(3).id
        #expect(report.affectedPaths == [
            VerifyExpectedPath(snapshot: snapshot, path: "/etc/hosts", isDirectory: false),
            VerifyExpectedPath(snapshot: snapshot, path: "/etc/passwd", isDirectory: false),
        ])
        #expect("\(report.affected[0])" == "snapshot \(snapshot.shortHex): /etc/hosts (chunk \(hosts.shortHex): in pack \(a.pack.shortHex): contents do not match its ID)")
    }

    @Test("a blob stored twice is a note; one bad copy is damage but loses no file; two bad copies lose it")
    func duplicateBlob() async throws {
        let fixture = try await VerifyFixture(encrypted: true)
        let hosts = try #require(fixture.chunks(of: "/etc/hosts", inSnapshot: 3).first)
        let original = try await fixture.location(of: .data(hosts))
        let packsBefore = Set(try await fixture.packs())
        // A second writer that does not know the index stores the same chunk again, as a concurrent backup would.
        var writer = RepositoryWriter(repository: fixture.repository, index: ChunkIndex())
        _ = try await writer.add(pseudoRandomBytes(count: 1000, seed: 10), type: .data)
        try await writer.flush()
        let copyPack = try #require(Set(try await fixture.packs()).subtracting(packsBefore).first)

        let clean = try await fixture.verify(.all)
        #expect(clean.findingSummaries == ["blob-duplicated repository"])
        #expect(clean.findings.first?.severity == .note)
        #expect(clean.findings.first?.message.hasPrefix("1 blob is stored in more than one pack (e.g. chunk \(hosts.shortHex) in packs ") == true)
        #expect(!clean.hasDamage)

        try fixture.flipByte(at: Int(original.offset + 100), ofFileAt: fixture.path(ofPack: original.pack))
        let oneBad = try await fixture.verify(.all)
        #expect(oneBad.findingSummaries.sorted() == [
            "blob-damaged chunk \(hosts.shortHex) in pack \(original.pack.shortHex)",
            "blob-duplicated repository",
            "pack-hash-mismatch pack \(original.pack.shortHex)",
        ])
        #expect(oneBad.affected.isEmpty)

        try fixture.flipByte(at: 100, ofFileAt: fixture.path(ofPack: copyPack))
        let bothBad = try await fixture.verify(.all)
        #expect(bothBad.affectedPaths == [VerifyExpectedPath(snapshot: fixture.snapshot(3).id, path: "/etc/hosts", isDirectory: false)])
        #expect(bothBad.affected.first?.loss.pack == min(original.pack, copyPack))
    }

    @Test("a pack no index names (an interrupted backup) is a note, not damage")
    func unindexedPack() async throws {
        let fixture = try await VerifyFixture(encrypted: false)
        var pack = PackWriter(cipher: fixture.repository.cipher)
        let bytes = pseudoRandomBytes(count: 5000, seed: 99)
        // A plain repository stores a raw blob as the codec byte 0 and the plaintext.
        let stored = [BlobCodec.raw.rawValue] + bytes
        stored.withUnsafeBytes { pack.add(type: .data, id: fixture.repository.identifier.id(of: bytes), rawLength: bytes.count, stored: $0) }
        let finished = pack.finish()
        try await fixture.repository.savePack(finished)

        let report = try await fixture.verify(.all)
        #expect(report.findingSummaries == ["pack-unindexed pack \(finished.id.shortHex)"])
        #expect(report.findings.first?.message == "in no index (1 blob): an interrupted backup left it, or its index file is lost; the next backup or 'vault repair index' indexes it")
        #expect(!report.hasDamage)
        #expect(report.statistics.unindexedPacks == 1)
        #expect(report.summary.hasPrefix("no errors were found"))
    }

    @Test("a damaged second key file is named; the key that opened the repository is fine")
    func damagedKeyFile() async throws {
        let fixture = try await VerifyFixture(encrypted: true)
        let key = try await fixture.repository.addKey(password: "second password", kdf: verifyTestKDF)
        try fixture.flipByte(at: 10, ofFileAt: fixture.path(of: try ObjectName(kind: .keys, name: key.hex)))
        let report = try await fixture.verify()
        #expect(report.findingSummaries == ["key-damaged key \(key.shortHex)"])
        #expect(report.findings.first?.message == "damaged: its contents do not match its name")
        #expect(report.statistics.keyFiles == 2)
    }

    @Test("verify holds a shared lock while it runs, releases it, and stops at an exclusive lock")
    func locking() async throws {
        let fixture = try await VerifyFixture(encrypted: false)
        _ = try await fixture.verify()
        #expect(try await fixture.repository.list(.locks).isEmpty)

        let exclusive = try await RepositoryLock.acquire(fixture.repository, exclusive: true)
        let error = await #expect(throws: RepositoryError.self) { _ = try await fixture.verify() }
        #expect(error?.code == .locked)
        #expect(try await fixture.repository.list(.locks).map(\.name) == [exclusive.name])
        try await exclusive.release()

        let shared = try await RepositoryLock.acquire(fixture.repository, exclusive: false)
        let again = try await fixture.verify()
        #expect(!again.hasDamage)
        #expect(try await fixture.repository.list(.locks).map(\.name) == [shared.name])
        try await shared.release()
    }
}
