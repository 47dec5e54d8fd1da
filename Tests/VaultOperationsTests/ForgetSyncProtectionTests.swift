import Testing
import VaultCodecs
import VaultOperations
import VaultRepository

/// `forget` never removes a sync set's head or a host's base (issue: vault sync).
@Suite("Forget keeps the heads and bases of sync sets")
struct ForgetSyncProtectionTests {
    typealias Snapshot = CleanSnapshotTests.Snapshot

    /// A sync snapshot of set "docs" made from `number`.
    static func sync(_ number: UInt8, role: SyncRecord.Role, host: String, merged: [UInt8] = [], head: UInt8? = nil) -> Snapshot {
        var snapshot = CleanSnapshotTests.snapshot(number, host: host, paths: ["/home/ada/docs"])
        snapshot.manifest.kind = .full
        snapshot.manifest.sync = SyncRecord(
            set: "docs", role: role, merged: merged.map { CleanSnapshotTests.snapshot($0).id }, head: head.map { CleanSnapshotTests.snapshot($0).id }
        )
        return snapshot
    }

    /// Host a: head 1, base 2; host b: head 3 (merging 1), base 4; then head 5 (merging 3), base 6 on a.
    static let history: [Snapshot] = [
        sync(1, role: .head, host: "a"), sync(2, role: .base, host: "a", head: 1),
        sync(3, role: .head, host: "b", merged: [1]), sync(4, role: .base, host: "b", head: 3),
        sync(5, role: .head, host: "a", merged: [3]), sync(6, role: .base, host: "a", head: 5),
    ]

    static func id(_ number: UInt8) -> SnapshotID { CleanSnapshotTests.snapshot(number).id }

    @Test("the protected set is the head, each host's newest base, and the heads those bases name")
    func protectedSet() {
        #expect(SyncSetState.protectedSnapshots(Self.history) == Set([5, 6, 4, 3].map(Self.id)))
    }

    @Test("--keep-last 1 per host keeps every protected snapshot, with its reason")
    func policyKeepsThem() throws {
        var options = SnapshotForget.Options()
        options.policy.last = 1
        let outcome = try SnapshotForget.decide(Self.history, options: options)
        let kept = Set(outcome.groups.flatMap { $0.kept.map(\.id) })
        #expect(kept.isSuperset(of: [5, 6, 4, 3].map(Self.id)))
        #expect(Set(outcome.removed) == Set([1, 2].map(Self.id)))
        let reasons = outcome.groups.flatMap(\.kept).filter { $0.id == Self.id(3) }.flatMap { $0.reasons.map(\.description) }
        #expect(reasons == ["head or base of sync set docs"])
    }

    @Test("naming a head or a base by ID is refused; an old one goes")
    func idsRefused() throws {
        var options = SnapshotForget.Options()
        options.references = [try SnapshotReference(parsing: Self.id(4).hex)]
        let error = #expect(throws: OperationError.self) { try SnapshotForget.decide(Self.history, options: options) }
        #expect(error?.message.contains("sync set 'docs'") == true)
        options.references = [try SnapshotReference(parsing: Self.id(2).hex)]
        #expect(try SnapshotForget.decide(Self.history, options: options).removed == [Self.id(2)])
    }
}
