import VaultCodecs
import VaultRepository

/// Which snapshots of one group `vault forget` keeps (restic's rules).
///
/// The snapshots are walked newest first. Each counted rule (`last`,
/// `hourly` … `yearly`, `full`) has a counter and remembers the bucket of
/// the last snapshot it kept; a snapshot is kept by that rule when the
/// counter is not used up and the snapshot's bucket differs from the
/// remembered one (so each rule keeps the newest snapshot of each of its
/// buckets), and the counter goes down by one. Buckets are taken in UTC:
/// the hour, the day, the ISO 8601 week, the month, the year; `last`
/// puts every snapshot in a bucket of its own, `full` does so for full
/// snapshots and ignores the others. When the walk reaches the oldest
/// snapshot and a time rule's counter is not used up, the oldest snapshot
/// is kept too ("oldest daily snapshot"), so a short history is kept whole.
///
/// `within D` keeps every snapshot newer than D before the group's newest
/// snapshot (not before now: a repository that stopped receiving backups
/// keeps its last ones). `within-hourly D` … `within-yearly D` keep the
/// newest snapshot of every hour … year within that window. `tag` keeps
/// every snapshot that has all the tags of one of its tag lists.
///
/// A snapshot is kept when any rule keeps it; the rest are removed. A
/// count of -1 means unlimited.
package struct RetentionPolicy: Sendable, Hashable {
    /// Keep the newest N snapshots.
    package var last = 0
    /// Keep the newest snapshot of each of the last N hours that have one.
    package var hourly = 0
    /// … days.
    package var daily = 0
    /// … ISO weeks.
    package var weekly = 0
    /// … months.
    package var monthly = 0
    /// … years.
    package var yearly = 0
    /// Keep the newest N full snapshots.
    package var full = 0
    /// Keep every snapshot within this duration of the newest one.
    package var within: RetentionDuration?
    /// Keep the newest snapshot of each hour within this duration.
    package var withinHourly: RetentionDuration?
    /// … day.
    package var withinDaily: RetentionDuration?
    /// … week.
    package var withinWeekly: RetentionDuration?
    /// … month.
    package var withinMonthly: RetentionDuration?
    /// … year.
    package var withinYearly: RetentionDuration?
    /// Keep every snapshot that has all the tags of one of these lists.
    package var tags: [[String]] = []

    /// A policy that keeps nothing (set the rules you want).
    package init() {}

    /// Whether no rule is set: such a policy would remove every snapshot,
    /// so `forget` refuses it.
    package var isEmpty: Bool {
        last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 && full == 0
            && within == nil && withinHourly == nil && withinDaily == nil && withinWeekly == nil && withinMonthly == nil
            && withinYearly == nil && tags.isEmpty
    }

    /// Applies the policy to one group's snapshots.
    ///
    /// - Parameter snapshots: The group, in any order.
    /// - Returns: The kept snapshots with their reasons and the removed
    ///   ones, each newest first.
    package func apply(to snapshots: [RetentionCandidate]) -> RetentionOutcome {
        let list = snapshots.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
        guard let latest = list.first?.time else { return RetentionOutcome(kept: [], removed: []) }

        var counted: [CountedRule] = []
        func add(_ rule: RetentionRule, _ count: Int, _ bucket: @escaping @Sendable (RetentionCandidate, Int) -> Int?) {
            if count != 0 { counted.append(CountedRule(rule: rule, remaining: count, bucket: bucket)) }
        }
        add(.last, last) { _, position in position }
        add(.hourly, hourly) { candidate, _ in Self.hourBucket(candidate.time) }
        add(.daily, daily) { candidate, _ in Self.dayBucket(candidate.time) }
        add(.weekly, weekly) { candidate, _ in Self.weekBucket(candidate.time) }
        add(.monthly, monthly) { candidate, _ in Self.monthBucket(candidate.time) }
        add(.yearly, yearly) { candidate, _ in CivilTime(candidate.time).year }
        add(.full, full) { candidate, position in candidate.isFull ? position : nil }

        var windows: [WindowRule] = []
        func addWindow(_ rule: RetentionRule, _ duration: RetentionDuration?, _ bucket: @escaping @Sendable (Timestamp) -> Int) {
            if let duration { windows.append(WindowRule(rule: rule, cutoff: duration.before(latest), bucket: bucket)) }
        }
        addWindow(.withinHourly(withinHourly ?? .init()), withinHourly, Self.hourBucket)
        addWindow(.withinDaily(withinDaily ?? .init()), withinDaily, Self.dayBucket)
        addWindow(.withinWeekly(withinWeekly ?? .init()), withinWeekly, Self.weekBucket)
        addWindow(.withinMonthly(withinMonthly ?? .init()), withinMonthly, Self.monthBucket)
        addWindow(.withinYearly(withinYearly ?? .init()), withinYearly) { CivilTime($0).year }
        let withinCutoff = within.map { $0.before(latest) }

        var kept: [(RetentionCandidate, [RetentionReason])] = []
        var removed: [RetentionCandidate] = []
        for (position, candidate) in list.enumerated() {
            let isOldest = position == list.count - 1
            var reasons: [RetentionReason] = []
            for tagList in tags where !tagList.isEmpty && tagList.allSatisfy(candidate.tags.contains) {
                reasons.append(RetentionReason(rule: .tag(tagList)))
            }
            if let duration = within, let withinCutoff, candidate.time > withinCutoff {
                reasons.append(RetentionReason(rule: .within(duration)))
            }
            for index in counted.indices where counted[index].remaining != 0 {
                guard let value = counted[index].bucket(candidate, position) else { continue }
                let isNewBucket = counted[index].lastBucket != value
                guard isNewBucket || isOldest else { continue }
                counted[index].lastBucket = value
                if counted[index].remaining > 0 { counted[index].remaining -= 1 }
                reasons.append(RetentionReason(rule: counted[index].rule, isOldest: !isNewBucket))
            }
            for index in windows.indices where candidate.time > windows[index].cutoff {
                let value = windows[index].bucket(candidate.time)
                let isNewBucket = windows[index].lastBucket != value
                guard isNewBucket || isOldest else { continue }
                windows[index].lastBucket = value
                reasons.append(RetentionReason(rule: windows[index].rule, isOldest: !isNewBucket))
            }
            if reasons.isEmpty {
                removed.append(candidate)
            } else {
                kept.append((candidate, reasons))
            }
        }
        return RetentionOutcome(kept: kept.map { RetentionOutcome.Kept(snapshot: $0.0, reasons: $0.1) }, removed: removed)
    }

    // MARK: Buckets (UTC)

    static func hourBucket(_ time: Timestamp) -> Int {
        let fields = CivilTime(time)
        return ((fields.year * 100 + fields.month) * 100 + fields.day) * 100 + fields.hour
    }

    static func dayBucket(_ time: Timestamp) -> Int {
        let fields = CivilTime(time)
        return (fields.year * 100 + fields.month) * 100 + fields.day
    }

    static func weekBucket(_ time: Timestamp) -> Int {
        let week = CivilTime(time).isoWeek
        return week.year * 100 + week.week
    }

    static func monthBucket(_ time: Timestamp) -> Int {
        let fields = CivilTime(time)
        return fields.year * 100 + fields.month
    }

    /// A counted rule during a walk.
    private struct CountedRule {
        var rule: RetentionRule
        /// Snapshots this rule may still keep; -1 for unlimited.
        var remaining: Int
        /// The snapshot's bucket, or `nil` when the rule does not count it.
        var bucket: (RetentionCandidate, Int) -> Int?
        var lastBucket: Int?
    }

    /// A windowed rule (`within-daily` …) during a walk.
    private struct WindowRule {
        var rule: RetentionRule
        var cutoff: Timestamp
        var bucket: (Timestamp) -> Int
        var lastBucket: Int?
    }
}

/// What the retention policy looks at in a snapshot.
package struct RetentionCandidate: Sendable, Hashable {
    /// The snapshot's ID.
    package var id: SnapshotID
    /// When the backup started.
    package var time: Timestamp
    /// Its tags.
    package var tags: [String]
    /// Whether it is a full snapshot.
    package var isFull: Bool

    /// Describes a snapshot for the policy.
    package init(id: SnapshotID, time: Timestamp, tags: [String] = [], isFull: Bool = false) {
        self.id = id
        self.time = time
        self.tags = tags
        self.isFull = isFull
    }

    /// Describes a stored snapshot.
    package init(id: SnapshotID, manifest: SnapshotManifest) {
        self.init(id: id, time: manifest.time, tags: manifest.tags, isFull: manifest.kind == .full)
    }
}

/// One rule of a ``RetentionPolicy``.
package enum RetentionRule: Sendable, Hashable, CustomStringConvertible {
    case last, hourly, daily, weekly, monthly, yearly, full
    case within(RetentionDuration)
    case withinHourly(RetentionDuration)
    case withinDaily(RetentionDuration)
    case withinWeekly(RetentionDuration)
    case withinMonthly(RetentionDuration)
    case withinYearly(RetentionDuration)
    case tag([String])
    /// Not a policy rule: the newest clean snapshot before the suspect one
    /// named, which `forget` keeps whatever the policy says (README, "If
    /// ransomware strikes"), unless `--allow-removing-clean`.
    case lastCleanBefore(SnapshotID)
    /// Not a policy rule: a sync set's head, a host's base, or the head a
    /// base names (``SyncSetState/protectedSnapshots(_:)``), which `forget`
    /// never removes.
    case syncState(String)

    /// `last snapshot`, `daily snapshot`, `within 7d`, `daily within 2w`, `tag keep`.
    package var description: String {
        switch self {
        case .last: "last snapshot"
        case .hourly: "hourly snapshot"
        case .daily: "daily snapshot"
        case .weekly: "weekly snapshot"
        case .monthly: "monthly snapshot"
        case .yearly: "yearly snapshot"
        case .full: "full snapshot"
        case .within(let duration): "within \(duration)"
        case .withinHourly(let duration): "hourly within \(duration)"
        case .withinDaily(let duration): "daily within \(duration)"
        case .withinWeekly(let duration): "weekly within \(duration)"
        case .withinMonthly(let duration): "monthly within \(duration)"
        case .withinYearly(let duration): "yearly within \(duration)"
        case .tag(let tags): "tag \(tags.joined(separator: ","))"
        case .lastCleanBefore(let suspect): "last clean snapshot before suspect \(suspect.shortHex)"
        case .syncState(let set): "head or base of sync set \(set)"
        }
    }
}

/// Why a snapshot is kept: a rule, and whether it kept the snapshot only
/// because it is the oldest and the rule's counter was not used up.
package struct RetentionReason: Sendable, Hashable, CustomStringConvertible {
    package var rule: RetentionRule
    package var isOldest = false

    package init(rule: RetentionRule, isOldest: Bool = false) {
        self.rule = rule
        self.isOldest = isOldest
    }

    /// `daily snapshot`, `oldest daily snapshot`.
    package var description: String { isOldest ? "oldest \(rule)" : rule.description }
}

/// What a policy keeps and removes in one group.
package struct RetentionOutcome: Sendable {
    /// A kept snapshot and why.
    package struct Kept: Sendable {
        package var snapshot: RetentionCandidate
        package var reasons: [RetentionReason]
    }

    /// Kept snapshots, newest first.
    package var kept: [Kept]
    /// Removed snapshots, newest first.
    package var removed: [RetentionCandidate]
}
