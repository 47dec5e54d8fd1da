import Foundation
import Testing
import VaultCodecs
import VaultRepository

@testable import VaultOperations

/// The retention rules against a fixed list of 100 snapshot times
/// (`Fixtures/retention/snapshots.txt`), with the kept sets worked out by
/// hand from the rules, as restic's policy testdata does.
@Suite struct RetentionPolicyTests {
    /// The fixture's snapshots, newest first; the ID of snapshot `i` is `i` in its last byte.
    static let snapshots: [RetentionCandidate] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent("Fixtures/retention/snapshots.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, let index = UInt8(fields[0]), let time = Timestamp(rfc3339: fields[1]) else { return nil }
            return RetentionCandidate(
                id: id(index), time: time, tags: fields[3] == "-" ? [] : fields[3].split(separator: ",").map(String.init),
                isFull: fields[2] == "full"
            )
        }
    }()

    static func id(_ index: UInt8) -> SnapshotID {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[31] = index
        return SnapshotID(Digest256(bytes: bytes)!)
    }

    /// The indices a policy keeps.
    static func kept(_ policy: RetentionPolicy, _ list: [RetentionCandidate] = snapshots) -> [Int] {
        policy.apply(to: list).kept.map { Int($0.snapshot.id.digest.bytes[31]) }.sorted()
    }

    static func policy(_ configure: (inout RetentionPolicy) -> Void) -> RetentionPolicy {
        var policy = RetentionPolicy()
        configure(&policy)
        return policy
    }

    static func duration(_ text: String) -> RetentionDuration { RetentionDuration(text)! }

    /// One row of the table: a policy and the indices it keeps.
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: RetentionPolicy
        var expected: [Int]
        var testDescription: String { name }
    }

    static let table: [Row] = [
        Row(name: "last 5", policy: policy { $0.last = 5 }, expected: [0, 1, 2, 3, 4]),
        Row(name: "last unlimited", policy: policy { $0.last = -1 }, expected: Array(0..<100)),
        Row(name: "last 200", policy: policy { $0.last = 200 }, expected: Array(0..<100)),
        // Two per hour on the 29th: the newer of each pair; then one per day.
        Row(name: "hourly 10", policy: policy { $0.hourly = 10 }, expected: [0, 2, 4, 6, 8, 10, 12, 13, 14, 15]),
        Row(name: "daily 5", policy: policy { $0.daily = 5 }, expected: [0, 12, 13, 14, 15]),
        // ISO weeks run Monday to Sunday: 11-23…29, 11-16…22, 11-09…15, 11-02…08.
        Row(name: "weekly 4", policy: policy { $0.weekly = 4 }, expected: [0, 18, 25, 32]),
        // Nov 2026 (0), Oct (10-31: 40), Sep (09-28: 46), Aug (08-31: 50), Jul (07-27: 55), Jun (06-29: 59).
        Row(name: "monthly 6", policy: policy { $0.monthly = 6 }, expected: [0, 40, 46, 50, 55, 59]),
        Row(name: "yearly 3", policy: policy { $0.yearly = 3 }, expected: [0, 70, 82]),
        // 13 years have snapshots; the oldest is in a bucket of its own, so the "oldest" rule adds nothing.
        Row(name: "yearly 20", policy: policy { $0.yearly = 20 }, expected: [0, 70, 82] + Array(90...99)),
        // Full snapshots are those with index % 7 == 3.
        Row(name: "full 3", policy: policy { $0.full = 3 }, expected: [3, 10, 17]),
        // Windows count back from the newest snapshot, 2026-11-29 23:40.
        Row(name: "within 2d", policy: policy { $0.within = duration("2d") }, expected: Array(0...12)),
        Row(name: "within 2w3d", policy: policy { $0.within = duration("2w3d") }, expected: Array(0...27)),
        Row(name: "within 1m", policy: policy { $0.within = duration("1m") }, expected: Array(0...41)),
        Row(name: "within 1y6m", policy: policy { $0.within = duration("1y6m") }, expected: Array(0...76)),
        // 20:40 is not after the 3-hour cutoff of 20:40.
        Row(name: "within-hourly 3h", policy: policy { $0.withinHourly = duration("3h") }, expected: [0, 2, 4]),
        Row(name: "within-daily 1w", policy: policy { $0.withinDaily = duration("1w") }, expected: [0, 12, 13, 14, 15, 16, 17]),
        Row(name: "within-weekly 2m", policy: policy { $0.withinWeekly = duration("2m") }, expected: [0, 18, 25, 32, 39, 43, 44, 45]),
        Row(name: "within-monthly 1y", policy: policy { $0.withinMonthly = duration("1y") },
            expected: [0, 40, 46, 50, 55, 59, 64, 66, 67, 68, 69, 70]),
        Row(name: "within-yearly 5y", policy: policy { $0.withinYearly = duration("5y") }, expected: [0, 70, 82, 90, 91]),
        Row(name: "tag a,b", policy: policy { $0.tags = [["a", "b"]] }, expected: [7, 33]),
        Row(name: "tag a", policy: policy { $0.tags = [["a"]] }, expected: [7, 33, 50]),
        Row(name: "tag report or a,b", policy: policy { $0.tags = [["report"], ["a", "b"]] }, expected: [0, 7, 25, 33, 50, 75]),
        Row(name: "tag nobody has", policy: policy { $0.tags = [["nobody"]] }, expected: []),
        // Each rule counts on its own; the union is kept.
        Row(name: "last 3, daily 5, weekly 4, monthly 6, yearly 3", policy: policy {
            $0.last = 3; $0.daily = 5; $0.weekly = 4; $0.monthly = 6; $0.yearly = 3
        }, expected: [0, 1, 2, 12, 13, 14, 15, 18, 25, 32, 40, 46, 50, 55, 59, 70, 82]),
        Row(name: "hourly 3, within 1w, tag report", policy: policy {
            $0.hourly = 3; $0.within = duration("1w"); $0.tags = [["report"]]
        }, expected: Array(0...17) + [25, 50, 75]),
        Row(name: "full 2, yearly 2", policy: policy { $0.full = 2; $0.yearly = 2 }, expected: [0, 3, 10, 70]),
    ]

    @Test func fixtureHasOneHundredSnapshotsNewestFirst() {
        #expect(Self.snapshots.count == 100)
        #expect(zip(Self.snapshots, Self.snapshots.dropFirst()).allSatisfy { $0.time > $1.time })
    }

    @Test(arguments: table) func policyKeepsTheExpectedSnapshots(_ row: Row) {
        #expect(Self.kept(row.policy) == row.expected, "\(row.name)")
        let outcome = row.policy.apply(to: Self.snapshots.shuffled())
        #expect(outcome.kept.count + outcome.removed.count == 100)
        #expect(outcome.kept.allSatisfy { !$0.reasons.isEmpty })
    }

    @Test func reasonsNameEveryRuleThatKeeps() throws {
        let policy = Self.policy { $0.last = 3; $0.daily = 5; $0.weekly = 4; $0.monthly = 6; $0.yearly = 3; $0.tags = [["report"]] }
        let outcome = policy.apply(to: Self.snapshots)
        let newest = try #require(outcome.kept.first)
        #expect(newest.snapshot.id == Self.id(0))
        #expect(newest.reasons.map(\.description) == ["tag report", "last snapshot", "daily snapshot", "weekly snapshot", "monthly snapshot", "yearly snapshot"])
        let forty = try #require(outcome.kept.first { $0.snapshot.id == Self.id(40) })
        #expect(forty.reasons.map(\.description) == ["monthly snapshot"])
    }

    /// When a counter is not used up at the oldest snapshot, the oldest is kept too.
    @Test func oldestSnapshotIsKeptWhileACounterLasts() throws {
        let list = [
            RetentionCandidate(id: Self.id(0), time: Timestamp(rfc3339: "2026-11-29T10:00:00Z")!),
            RetentionCandidate(id: Self.id(1), time: Timestamp(rfc3339: "2026-11-28T10:00:00Z")!),
            RetentionCandidate(id: Self.id(2), time: Timestamp(rfc3339: "2026-11-28T09:00:00Z")!),
        ]
        let outcome = Self.policy { $0.daily = 5 }.apply(to: list)
        #expect(outcome.kept.map(\.snapshot.id) == [Self.id(0), Self.id(1), Self.id(2)])
        #expect(outcome.kept.last?.reasons.map(\.description) == ["oldest daily snapshot"])
        // With the counter used up, the oldest goes.
        #expect(Self.kept(Self.policy { $0.daily = 2 }, list) == [0, 1])
    }

    @Test func emptyPolicyAndEmptyGroup() {
        #expect(RetentionPolicy().isEmpty)
        #expect(!Self.policy { $0.tags = [["x"]] }.isEmpty)
        #expect(Self.policy { $0.last = 1 }.apply(to: []).kept.isEmpty)
    }

    @Test(arguments: [
        ("7d", RetentionDuration(days: 7)), ("2w3d", RetentionDuration(days: 17)), ("1y6m", RetentionDuration(years: 1, months: 6)),
        ("36h", RetentionDuration(hours: 36)), ("1y2m3w4d5h", RetentionDuration(years: 1, months: 2, days: 25, hours: 5)),
    ])
    func durationsParse(_ text: String, _ expected: RetentionDuration) {
        #expect(RetentionDuration(text) == expected)
    }

    @Test(arguments: ["", "7", "d", "7x", "-1d", "1.5d", "99999999999999999999d", "7d ", "1y6"])
    func badDurationsAreRejected(_ text: String) {
        #expect(RetentionDuration(text) == nil)
    }

    @Test func durationsSubtractOnTheCalendar() {
        let time = Timestamp(rfc3339: "2026-03-31T12:00:00Z")!
        // 31 February does not exist: it is 3 March.
        #expect(RetentionDuration("1m")!.before(time) == Timestamp(rfc3339: "2026-03-03T12:00:00Z"))
        #expect(RetentionDuration("1y1m")!.before(time) == Timestamp(rfc3339: "2025-03-03T12:00:00Z"))
        #expect(RetentionDuration("2w3d")!.before(time) == Timestamp(rfc3339: "2026-03-14T12:00:00Z"))
        #expect(RetentionDuration("13h")!.before(time) == Timestamp(rfc3339: "2026-03-30T23:00:00Z"))
        // Absurd durations clamp instead of trapping.
        #expect(RetentionDuration("999999y")!.before(time).nanoseconds < 0)
    }

    @Test(arguments: [
        ("2021-01-03T00:00:00Z", 2020, 53), ("2021-01-04T00:00:00Z", 2021, 1), ("2024-12-30T00:00:00Z", 2025, 1),
        ("2026-01-01T00:00:00Z", 2026, 1), ("2026-11-29T23:59:59Z", 2026, 48), ("2026-11-30T00:00:00Z", 2026, 49),
        ("1969-12-31T23:00:00Z", 1970, 1),
    ])
    func isoWeeks(_ text: String, _ year: Int, _ week: Int) {
        let week2 = CivilTime(Timestamp(rfc3339: text)!).isoWeek
        #expect(week2.year == year && week2.week == week)
    }

    @Test func civilTimeRoundTrips() {
        for seconds in stride(from: Int64(-5_000_000_000), to: 5_000_000_000, by: 86_399 * 97) {
            let time = Timestamp(nanoseconds: seconds * 1_000_000_000)
            #expect(CivilTime(time).timestamp == time)
        }
    }
}
