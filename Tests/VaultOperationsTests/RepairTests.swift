import Foundation
import Testing
import VaultTestSupport
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

@Suite("Repair from a mirror")
struct RepairTests {
    /// A repository with a snapshot, mirrored.
    struct Setup {
        let fixture: BackupFixture
        let mirror: any Storage

        init() async throws {
            fixture = try await BackupFixture()
            try fixture.write("a.bin", pseudoRandomBytes(count: 3 << 20, seed: 1))
            try fixture.write("b.txt", "bravo")
            _ = try await fixture.backup(.full)
            mirror = try await RepositoryLocation(fixture.directory.appending("mirror")).openMirrorDestination(create: true)
            _ = try await RepositoryMirror(source: fixture.repository, destination: mirror).run()
        }

        func path(of name: ObjectName) -> String {
            switch name.kind {
            case .data: fixture.directory.appending("repo/data/\(name.name.prefix(2))/\(name.name)")
            default: fixture.directory.appending("repo/\(name.kind.rawValue)/\(name.name)")
            }
        }

        func flipByte(in name: ObjectName, at offset: Int = 100) throws {
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path(of: name))))
            bytes[offset % bytes.count] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path(of: name)))
        }
    }

    @Test("damaged packs, a lost index file and a deleted snapshot are restored from the mirror; verify is clean after")
    func heals() async throws {
        let setup = try await Setup()
        let repository = setup.fixture.repository
        let packs = try await repository.list(.data).map(\.name)
        try #require(packs.count >= 2)
        try setup.flipByte(in: packs[0])
        try setup.flipByte(in: packs[1], at: 5000)
        let index = try #require(try await repository.list(.index).first?.name)
        try FileManager.default.removeItem(atPath: setup.path(of: index))
        let snapshot = try #require(try await repository.list(.snapshots).first?.name)
        try FileManager.default.removeItem(atPath: setup.path(of: snapshot))

        let outcome = try await RepositoryRepair(repository: repository, mirror: setup.mirror, readData: .all).run()
        // Without its index file and snapshot the repository looks merely untidy; the damaged packs show once they are back.
        #expect(outcome.before.notes.count >= 2)
        #expect(Set(outcome.repaired) == Set([packs[0], packs[1], index, snapshot]))
        #expect(outcome.unrepairable.isEmpty)
        #expect(!outcome.after.hasDamage, "\(outcome.after.findings)")
        #expect(try await objectDigests(repository.storage) == objectDigests(setup.mirror))
    }

    @Test("a pack damaged in both copies is listed as unrepairable, with the files it affects")
    func damagedInBoth() async throws {
        let setup = try await Setup()
        let pack = try #require(try await setup.fixture.repository.list(.data).first?.name)
        try setup.flipByte(in: pack)
        let mirrorPath = setup.fixture.directory.appending("mirror/data/\(pack.name.prefix(2))/\(pack.name)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: mirrorPath)))
        bytes[7] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: mirrorPath))

        let outcome = try await RepositoryRepair(repository: setup.fixture.repository, mirror: setup.mirror, readData: .all).run()
        #expect(outcome.repaired.isEmpty)
        #expect(outcome.unrepairable.map(\.name) == [pack])
        #expect(outcome.unrepairable.first?.reason == "the mirror's copy is damaged too")
        #expect(outcome.after.hasDamage)
        #expect(!outcome.after.affected.isEmpty)
    }

    @Test("a clean repository needs no repair and nothing is written", arguments: [VerifyDataSelection.none, .all])
    func cleanRepository(readData: VerifyDataSelection) async throws {
        let setup = try await Setup()
        let repositoryBefore = try await objectDigests(setup.fixture.repository.storage)
        let mirrorBefore = try await objectDigests(setup.mirror)
        #expect(repositoryBefore.keys.contains { $0.hasPrefix("data/") })
        let outcome = try await RepositoryRepair(repository: setup.fixture.repository, mirror: setup.mirror, readData: readData).run()
        #expect(outcome.repaired.isEmpty)
        #expect(outcome.unrepairable.isEmpty)
        #expect(!outcome.after.hasDamage)
        // Object for object, byte for byte, both sides are as they were (locks aside).
        #expect(try await objectDigests(setup.fixture.repository.storage) == repositoryBefore)
        #expect(try await objectDigests(setup.mirror) == mirrorBefore)
        #expect(try await setup.fixture.repository.list(.locks).isEmpty)
    }

    @Test("a mirror of another repository is refused")
    func otherRepository() async throws {
        let setup = try await Setup()
        let other = try await BackupFixture()
        let error = try await #require(throws: OperationError.self) {
            _ = try await RepositoryRepair(repository: other.repository, mirror: setup.mirror, readData: .none).run()
        }
        #expect(error.code == .targetFailed)
    }
}
