import Testing
import VaultCodecs
import VaultOperations
import VaultRepository

/// `forget` keeps the newest clean snapshot before a suspect one, whatever
/// the policy says, unless `--allow-removing-clean` (issue: ransomware guard).
@Suite("Forget keeps the last clean snapshot before a suspect one")
struct ForgetCleanProtectionTests {
    typealias Snapshot = CleanSnapshotTests.Snapshot

    /// Clean 1…5, then suspect 6 and 7 (the attack captured twice).
    static let history: [Snapshot] = (1...5).map { CleanSnapshotTests.snapshot($0) }
        + [CleanSnapshotTests.snapshot(6, suspect: true), CleanSnapshotTests.snapshot(7, suspect: true)]

    static func id(_ number: UInt8) -> SnapshotID { CleanSnapshotTests.snapshot(number).id }

    static func forget(keepLast: Int, allow: Bool = false, ids: [String] = []) throws -> SnapshotForget.Outcome {
        var options = SnapshotForget.Options()
        options.policy.last = keepLast
        options.references = try ids.map { try SnapshotReference(parsing: $0) }
        options.allowRemovingClean = allow
        return try SnapshotForget.decide(history, options: options)
    }

    @Test("--keep-last 2 keeps the two suspect snapshots and the clean one before them, with its reason")
    func policyKeepsClean() throws {
        let outcome = try Self.forget(keepLast: 2)
        let group = try #require(outcome.groups.first)
        #expect(group.kept.map(\.id) == [Self.id(7), Self.id(6), Self.id(5)])
        let reasons = try #require(group.kept.last?.reasons.map(\.description))
        #expect(reasons == ["last clean snapshot before suspect \(Self.id(6).shortHex)"])
        #expect(Set(outcome.removed) == Set([1, 2, 3, 4].map(Self.id)))
    }

    @Test("--allow-removing-clean lets the policy remove it")
    func allowRemoves() throws {
        let outcome = try Self.forget(keepLast: 2, allow: true)
        #expect(outcome.groups.first?.kept.map(\.id) == [Self.id(7), Self.id(6)])
        #expect(outcome.removed.contains(Self.id(5)))
    }

    @Test("naming the protected snapshot by ID is refused without --allow-removing-clean")
    func idsRefused() throws {
        let protectedHex = Self.id(5).hex
        let error = #expect(throws: OperationError.self) { try Self.forget(keepLast: 0, ids: [protectedHex]) }
        #expect(error?.message.contains("last clean snapshot before suspect snapshot \(Self.id(6).shortHex)") == true)
        // An older clean snapshot is not protected, and with the flag the protected one goes too.
        #expect(try Self.forget(keepLast: 0, ids: [Self.id(4).hex]).removed == [Self.id(4)])
        #expect(try Self.forget(keepLast: 0, allow: true, ids: [protectedHex]).removed == [Self.id(5)])
    }

    @Test("a history without suspect snapshots is thinned as the policy says")
    func noSuspect() throws {
        var options = SnapshotForget.Options()
        options.policy.last = 1
        let clean = Array(Self.history.prefix(5))
        let outcome = try SnapshotForget.decide(clean, options: options)
        #expect(outcome.groups.first?.kept.map(\.id) == [Self.id(5)])
        #expect(outcome.removed.count == 4)
    }
}
