import Foundation
import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository
import VaultStorage
import VaultTestSupport

/// The sync derives the key while it walks the folder only when the
/// snapshot names alone show that the key will be needed
/// (``SyncShortcut/Prepared/needsTheKeyWhateverTheFolder``): a sync with
/// nothing to do must still never need it.
@Suite("Sync: the key derived during the walk")
struct SyncEarlyKeyTests {
    /// Syncs through a state store, counting how often the repository was opened.
    final class Syncer: @unchecked Sendable {
        let fixture: SyncFixture
        let store: SyncStateStore
        private(set) var opened = 0
        /// What opening the repository throws, when set (a wrong password).
        var openFails: (any Error)?

        init() async throws {
            fixture = try await SyncFixture()
            store = SyncStateStore(directory: Array(fixture.directory.appending("cache/vault/sync").utf8))
        }

        func options(_ replica: Int) -> SyncOptions {
            var options = SyncOptions(name: fixture.set, directory: fixture.folder(replica))
            options.host = "host\(replica)"
            return options
        }

        @discardableResult
        func sync(_ replica: Int) async throws -> SyncResult {
            let repository = fixture.repository
            return try await Sync.run(storage: repository.storage, options: options(replica), store: store) { _ in
                self.opened += 1
                if let failure = self.openFails { throw failure }
                return repository
            }
        }

        func prepared(_ replica: Int) async throws -> SyncShortcut.Prepared {
            try #require(await SyncShortcut.prepare(storage: fixture.repository.storage, options: options(replica), store: store))
        }
    }

    @Test("whenever the names say the key is needed, the verdict is never 'unchanged', whatever the walk finds")
    func theNamesNeverPromiseTooMuch() throws {
        let identity = SyncStateIdentity(location: "memory", config: SHA256Hasher.hash([1]), set: "docs", host: "a", folder: Array("/f".utf8))
        let folder = SyncFolderListing(digest: SHA256Hasher.hash([2]), entries: 3)
        let other = SyncFolderListing(digest: SHA256Hasher.hash([3]), entries: 3)
        let id = try #require(SnapshotID(hex: String(repeating: "ab", count: 32)))
        let recorded = SyncState(identity: identity, base: id, head: id, snapshots: ["head": true, "backup": false], folder: folder)
        let store = SyncStateStore(directory: Array("/nonexistent".utf8))
        let nameSets: [Set<String>] = [[], ["head"], ["backup"], ["head", "backup"], ["head", "backup", "new"], ["head", "new"], ["new"]]
        var unchangedSeen = 0
        for state in [nil, recorded] {
            for names in nameSets {
                let prepared = SyncShortcut.Prepared(store: store, identity: identity, recorded: state, names: names)
                for listing in [folder, other, nil] as [SyncFolderListing?] {
                    let shortcut = SyncShortcut(store: store, identity: identity, recorded: state, names: names, listing: listing)
                    if prepared.needsTheKeyWhateverTheFolder {
                        #expect(shortcut.verdict != .unchanged, "names \(names), recorded \(state != nil), listing \(String(describing: listing))")
                    }
                    if shortcut.verdict == .unchanged { unchangedSeen += 1 }
                }
            }
        }
        // The flag is not simply always set: some name sets leave the walk to decide, and it says "unchanged".
        #expect(unchangedSeen == 2)  // names ["head", "backup"] and ["head"], folder unchanged
        #expect(!SyncShortcut.Prepared(store: store, identity: identity, recorded: recorded, names: ["head", "backup"]).needsTheKeyWhateverTheFolder)
    }

    @Test("nothing changed: the key is not derived; the other host's change: derived once during the walk, and the change arrives")
    func keyOnlyWhenNeeded() async throws {
        let syncer = try await Syncer()
        try syncer.fixture.write(0, "a.txt", "a")
        for replica in [0, 1, 0, 1] { try await syncer.sync(replica) }
        let opened = syncer.opened
        #expect(try await !syncer.prepared(0).needsTheKeyWhateverTheFolder)
        #expect(try await syncer.sync(0).checkedByState)
        #expect(syncer.opened == opened)

        try syncer.fixture.write(1, "a.txt", "changed on host 1")
        try await syncer.sync(1)
        #expect(try await syncer.prepared(0).needsTheKeyWhateverTheFolder, "host 1's new head and base are not in host 0's state")
        let opening = syncer.opened
        let result = try await syncer.sync(0)
        #expect(!result.checkedByState)
        #expect(syncer.opened == opening + 1)
        #expect(try syncer.fixture.contents(0) == syncer.fixture.contents(1))
        #expect(try syncer.fixture.contents(0)["a.txt"] == "changed on host 1")
    }

    @Test("a key that cannot be derived while the folder is walked stops the sync with that error, and changes nothing")
    func aFailedKeyStopsTheSync() async throws {
        let syncer = try await Syncer()
        try syncer.fixture.write(0, "a.txt", "a")
        for replica in [0, 1, 0, 1] { try await syncer.sync(replica) }
        try syncer.fixture.write(1, "a.txt", "changed on host 1")
        try syncer.fixture.write(0, "b.txt", "new on host 0")
        try await syncer.sync(1)
        let snapshots = try await syncer.fixture.repository.list(.snapshots).count
        let states = try FileManager.default.contentsOfDirectory(atPath: String(decoding: syncer.store.directory, as: UTF8.self))
            .sorted().map { try Data(contentsOf: URL(fileURLWithPath: String(decoding: syncer.store.directory, as: UTF8.self) + "/" + $0)) }
        #expect(try await syncer.prepared(0).needsTheKeyWhateverTheFolder)

        syncer.openFails = RepositoryError(.wrongPassword, "wrong password or no key found")
        let error = try await #require(throws: RepositoryError.self) { try await syncer.sync(0) }
        #expect(error.code == .wrongPassword)
        #expect(try syncer.fixture.contents(0) == ["a.txt": "a", "b.txt": "new on host 0"])
        #expect(try await syncer.fixture.repository.list(.snapshots).count == snapshots)
        #expect(try await syncer.fixture.repository.list(.locks).isEmpty)
        let statesAfter = try FileManager.default.contentsOfDirectory(atPath: String(decoding: syncer.store.directory, as: UTF8.self))
            .sorted().map { try Data(contentsOf: URL(fileURLWithPath: String(decoding: syncer.store.directory, as: UTF8.self) + "/" + $0)) }
        #expect(statesAfter == states)

        syncer.openFails = nil
        try await syncer.sync(0)
        try await syncer.sync(1)
        #expect(try syncer.fixture.contents(0) == ["a.txt": "changed on host 1", "b.txt": "new on host 0"])
        #expect(try syncer.fixture.contents(1) == syncer.fixture.contents(0))
    }
}
