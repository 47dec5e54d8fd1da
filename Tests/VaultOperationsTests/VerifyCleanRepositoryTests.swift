import Foundation
import Synchronization
import Testing
import VaultCodecs
import VaultOperations
import VaultRepository
import VaultStorage

/// `verify` on intact repositories: no false alarms, and it looks at everything.
@Suite("verify: clean repositories", .timeLimit(.minutes(5)))
struct VerifyCleanRepositoryTests {
    @Test("an intact repository checks clean, structurally and reading every pack", arguments: [true, false])
    func clean(encrypted: Bool) async throws {
        let fixture = try await VerifyFixture(encrypted: encrypted)
        let packs = try await fixture.packs()
        #expect(packs.count >= 5, "the fixture should span several packs")
        let blobCount = try await fixture.index().chunks.count
        var trees: Set<Digest256> = []
        func collect(_ nodes: [VerifyFixtureNode]) {
            for node in nodes {
                if case .directory(let tree, let children) = node.kind {
                    trees.insert(tree)
                    collect(children)
                }
            }
        }
        for snapshot in fixture.snapshots {
            trees.insert(snapshot.tree)
            collect(snapshot.roots)
        }

        for selection in [VerifyDataSelection.none, .all] {
            let report = try await fixture.verify(selection)
            #expect(report.findings.isEmpty, "\(report.findings)")
            #expect(report.affected.isEmpty)
            #expect(!report.hasDamage)
            #expect(report.statistics.keyFiles == (encrypted ? 1 : 0))
            #expect(report.statistics.indexFiles == 3)
            #expect(report.statistics.packs == packs.count)
            #expect(report.statistics.unindexedPacks == 0)
            #expect(report.statistics.snapshots == 3)
            #expect(report.statistics.trees == trees.count)
            #expect(report.statistics.packsRead == (selection == .all ? packs.count : 0))
            #expect(report.statistics.blobsRead == (selection == .all ? blobCount : 0))
            #expect(report.summary.hasPrefix("no errors were found (checked 3 snapshots, \(trees.count) trees, \(packs.count) packs; "))
        }
        #expect(try await fixture.repository.list(.locks).isEmpty)
    }

    @Test("an empty repository checks clean")
    func empty() async throws {
        let directory = try VerifyScratchDirectory()
        let storage = try LocalDirectoryStorage.create(at: directory.path + "/repo")
        let repository = try await Repository.create(in: storage, config: RepositoryConfig(isEncrypted: true), password: "pw", kdf: verifyTestKDF)
        let report = try await RepositoryVerifier(repository: repository, readData: .all).run()
        #expect(report.findings.isEmpty)
        #expect(report.summary == "no errors were found (checked 0 snapshots, 0 trees, 0 packs; read no pack data)")
    }

    @Test("progress reports every pack checked, and tree counts that only grow")
    func progress() async throws {
        let fixture = try await VerifyFixture(encrypted: false)
        let packs = try await fixture.packs().count
        let seen = VerifyProgressRecorder()
        _ = try await RepositoryVerifier(repository: fixture.repository, readData: .all).run { seen.record($0) }
        let events = seen.events
        let packEvents = events.filter { $0.phase == .packs }
        #expect(packEvents.map(\.completed) == Array(1...packs))
        #expect(packEvents.allSatisfy { $0.total == packs })
        #expect(packEvents.last?.bytesRead == (try await fixture.repository.list(.data)).reduce(0) { $0 + $1.size })
        let treeCounts = events.filter { $0.phase == .trees }.map(\.completed)
        #expect(!treeCounts.isEmpty && treeCounts == treeCounts.sorted())
    }
}

/// Collects progress reports from the verifier's tasks.
final class VerifyProgressRecorder: Sendable {
    private let state = Mutex<[VerifyProgress]>([])

    func record(_ progress: VerifyProgress) {
        state.withLock { $0.append(progress) }
    }

    var events: [VerifyProgress] { state.withLock { $0 } }
}
