import Testing
import VaultCodecs
@testable import VaultOperations
import VaultRepository

/// A compact description of a folder for plan scenarios: path → `"text"`
/// (a file with that content), `"/"` (a directory), `"->target"` (a symlink),
/// `"text@755"` (a file with mode 0o755; default 0o644).
typealias SyncPlanFolder = [String: String]

private func listing(_ folder: SyncPlanFolder) -> SyncListing {
    var result: SyncListing = [:]
    for (path, spec) in folder {
        let syncPath = SyncPath(path)
        var node: TreeNode
        if spec == "/" {
            node = TreeNode(name: syncPath.name, type: .directory)
            node.mode = 0o755
        } else if spec.hasPrefix("->") {
            node = TreeNode(name: syncPath.name, type: .symlink)
            node.linkTarget = Array(spec.dropFirst(2).utf8)
            node.mode = 0o777
        } else {
            node = TreeNode(name: syncPath.name, type: .file)
            let parts = spec.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            node.content = [SHA256Hasher.hash(Array(parts[0].utf8))]
            node.mode = parts.count > 1 ? UInt32(parts[1], radix: 8) ?? 0o644 : 0o644
        }
        result[syncPath] = node
        for ancestor in syncPath.ancestors where result[ancestor] == nil {
            var directory = TreeNode(name: ancestor.name, type: .directory)
            directory.mode = 0o755
            result[ancestor] = directory
        }
    }
    return result
}

private func folder(_ listing: SyncListing) -> SyncPlanFolder {
    var result: SyncPlanFolder = [:]
    for (path, node) in listing {
        switch node.type {
        case .directory: result[path.description] = "/"
        case .symlink: result[path.description] = "->" + String(decoding: node.linkTarget, as: UTF8.self)
        default:
            let text = ["a", "b", "c", "x", "x1", "x2", "y", "old", "new", "mine", "theirs", "same", "v1", "v2"]
                .first { [SHA256Hasher.hash(Array($0.utf8))] == node.content } ?? "?"
            result[path.description] = node.mode == 0o644 ? text : "\(text)@\(String(node.mode, radix: 8))"
        }
    }
    return result
}

private let namer = ConflictName(host: "hostA", time: Timestamp(nanoseconds: 1_795_000_000_000_000_000))
private let stamp = namer.stamp

private func plan(base: SyncPlanFolder?, local: SyncPlanFolder, head: SyncPlanFolder, mode: SyncMode = .readWrite, unsettled: Set<SyncPath> = []) -> SyncPlan {
    SyncPlanner(base: base.map(listing), unsettled: unsettled, local: listing(local), head: listing(head), mode: mode, conflictName: namer).plan()
}

/// Drops the directories the spec implies, for readable expectations.
private func files(_ listing: SyncListing) -> SyncPlanFolder {
    folder(listing).filter { $0.value != "/" }
}

@Suite("Sync plan: the three-way merge")
struct SyncPlanTests {
    /// One scenario: the three sides, and what the merged head and the folder must contain.
    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var base: SyncPlanFolder?
        var local: SyncPlanFolder
        var head: SyncPlanFolder
        var mode: SyncMode = .readWrite
        var merged: SyncPlanFolder
        var target: SyncPlanFolder? = nil  // defaults to merged
        var conflicts = 0
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "nothing changed", base: ["a": "a"], local: ["a": "a"], head: ["a": "a"], merged: ["a": "a"]),
        Scenario(name: "edit different files", base: ["a": "a", "b": "b"], local: ["a": "x1", "b": "b"], head: ["a": "a", "b": "x2"],
                 merged: ["a": "x1", "b": "x2"]),
        Scenario(name: "same edit on both sides", base: ["a": "a"], local: ["a": "same"], head: ["a": "same"], merged: ["a": "same"]),
        Scenario(name: "same file edited differently", base: ["a.txt": "a"], local: ["a.txt": "mine"], head: ["a.txt": "theirs"],
                 merged: ["a.txt": "theirs", "a (conflict hostA \(stamp)).txt": "mine"], conflicts: 1),
        Scenario(name: "deleted locally, edited remotely", base: ["a": "a"], local: [:], head: ["a": "x2"], merged: ["a": "x2"]),
        Scenario(name: "edited locally, deleted remotely", base: ["a": "a"], local: ["a": "x1"], head: [:], merged: ["a": "x1"]),
        Scenario(name: "deleted locally, unchanged remotely", base: ["a": "a", "b": "b"], local: ["b": "b"], head: ["a": "a", "b": "b"], merged: ["b": "b"]),
        Scenario(name: "deleted on both sides", base: ["a": "a"], local: [:], head: [:], merged: [:]),
        Scenario(name: "rename locally while edited remotely", base: ["a": "old"], local: ["b": "old"], head: ["a": "new"],
                 merged: ["a": "new", "b": "old"]),
        Scenario(name: "local file where remote made a directory", base: [:], local: ["d": "mine"], head: ["d/x": "theirs"],
                 merged: ["d/x": "theirs", "d (conflict hostA \(stamp))": "mine"], conflicts: 1),
        Scenario(name: "local directory where remote made a file", base: [:], local: ["d/x": "mine"], head: ["d": "theirs"],
                 merged: ["d/x": "mine", "d (conflict hostA \(stamp))": "theirs"], conflicts: 1),
        Scenario(name: "directory deleted locally, file in it edited remotely", base: ["d/x": "a", "d/y": "b"], local: [:],
                 head: ["d/x": "x2", "d/y": "b"], merged: ["d/x": "x2"]),
        Scenario(name: "directory replaced by a file locally, file in it edited remotely", base: ["d/x": "a"], local: ["d": "mine"],
                 head: ["d/x": "x2"], merged: ["d/x": "x2", "d (conflict hostA \(stamp))": "mine"], conflicts: 1),
        Scenario(name: "empty folder created", base: [:], local: ["e": "/"], head: [:], merged: ["e": "/"]),
        Scenario(name: "empty folder deleted remotely", base: ["e": "/"], local: ["e": "/"], head: [:], merged: [:]),
        Scenario(name: "symlink target changed differently", base: ["l": "->a"], local: ["l": "->b"], head: ["l": "->c"],
                 merged: ["l": "->c", "l (conflict hostA \(stamp))": "->b"], conflicts: 1),
        Scenario(name: "symlink against file", base: [:], local: ["l": "->a"], head: ["l": "a"],
                 merged: ["l": "a", "l (conflict hostA \(stamp))": "->a"], conflicts: 1),
        Scenario(name: "mode changed locally only", base: ["a": "a"], local: ["a": "a@755"], head: ["a": "a"], merged: ["a": "a@755"]),
        Scenario(name: "mode changed locally, contents remotely", base: ["a": "a"], local: ["a": "a@755"], head: ["a": "x2"], merged: ["a": "x2@755"]),
        Scenario(name: "contents changed locally, mode remotely", base: ["a": "a"], local: ["a": "x1"], head: ["a": "a@600"], merged: ["a": "x1@600"]),
        Scenario(name: "mode changed differently on both sides", base: ["a": "a"], local: ["a": "a@755"], head: ["a": "a@600"], merged: ["a": "a@600"]),
        Scenario(name: "no base: union, differing paths are conflicts", base: nil, local: ["a": "a", "b": "mine", "c": "c"],
                 head: ["a": "a", "b": "theirs", "d": "x"], merged: ["a": "a", "b": "theirs", "b (conflict hostA \(stamp))": "mine", "c": "c", "d": "x"],
                 conflicts: 1),
        Scenario(name: "prefer local", base: ["a": "a"], local: ["a": "mine"], head: ["a": "theirs"], mode: .prefer(.local), merged: ["a": "mine"], conflicts: 1),
        Scenario(name: "prefer remote", base: ["a": "a"], local: ["a": "mine"], head: ["a": "theirs"], mode: .prefer(.remote), merged: ["a": "theirs"], conflicts: 1),
        Scenario(name: "prefer remote deletion", base: ["a": "a"], local: ["a": "mine"], head: [:], mode: .prefer(.remote), merged: [:]),
        Scenario(name: "pull leaves local edits alone", base: ["a": "a", "b": "b"], local: ["a": "mine", "b": "b", "n": "new"],
                 head: ["a": "theirs", "b": "x2"], mode: .pull, merged: ["a": "theirs", "b": "x2"], target: ["a": "mine", "b": "x2", "n": "new"]),
        Scenario(name: "pull --replace makes the folder the head", base: ["a": "a"], local: ["a": "mine", "n": "new"], head: ["a": "theirs"],
                 mode: .replace, merged: ["a": "theirs"], target: ["a": "theirs"]),
        Scenario(name: "push makes the head the folder", base: ["a": "a"], local: ["a": "mine"], head: ["a": "theirs", "b": "b"],
                 mode: .push, merged: ["a": "mine"], target: ["a": "mine"]),
    ]

    @Test(arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        let result = plan(base: scenario.base, local: scenario.local, head: scenario.head, mode: scenario.mode)
        #expect(files(result.merged) == scenario.merged.filter { $0.value != "/" })
        #expect(files(result.target) == (scenario.target ?? scenario.merged).filter { $0.value != "/" })
        #expect(result.conflicts.count == scenario.conflicts)
        // Every merged entry has directories all the way up.
        for path in result.merged.keys {
            for ancestor in path.ancestors {
                #expect(result.merged[ancestor]?.type == .directory, "\(path): \(ancestor) is not a directory")
            }
        }
        // Empty folders that should be there are there.
        for (path, spec) in scenario.merged where spec == "/" {
            #expect(result.merged[SyncPath(path)]?.type == .directory)
        }
    }

    @Test func conflictKeepsLocalByRenamingIt() {
        let result = plan(base: ["a.txt": "a"], local: ["a.txt": "mine"], head: ["a.txt": "theirs"])
        let copy = SyncPath("a (conflict hostA \(stamp)).txt")
        #expect(result.conflicts == [SyncConflict(path: SyncPath("a.txt"), copy: copy, copySide: .local, reason: .bothChanged)])
        guard case .rename(let from, let to, _) = result.actions.first else {
            Issue.record("first action should rename the local file: \(result.actions)")
            return
        }
        #expect(from == SyncPath("a.txt") && to == copy)
        #expect(result.actions.dropFirst().map(\.path) == [SyncPath("a.txt")])
        #expect(result.sendsHead)
    }

    @Test func nothingChangedPlansNothing() {
        let result = plan(base: ["a": "a", "d/b": "b"], local: ["a": "a", "d/b": "b"], head: ["a": "a", "d/b": "b"])
        #expect(result.isEmpty)
        #expect(result.sent.isEmpty && result.received.isEmpty && result.deleted.isEmpty)
    }

    @Test func deletionAgainstEditIsReported() {
        let result = plan(base: ["a": "a"], local: [:], head: ["a": "x2"])
        #expect(result.notes.map(\.message) == ["deleted locally, changed remotely: kept"])
        #expect(result.received == [SyncPath("a")])
        #expect(!result.sendsHead)
    }

    @Test func removalsComeDeepestFirstAndCreationsShallowestFirst() {
        let result = plan(base: ["d/e/f": "a"], local: ["d/e/f": "a"], head: ["n/m/o": "b"])
        let paths = result.actions.map(\.path.description)
        #expect(paths == ["d/e/f", "d/e", "d", "n", "n/m", "n/m/o"])
    }

    @Test func unsettledPathIsTreatedAsHavingNoBase() {
        // A path the last sync could not settle: the base says "mine", but the folder may never have taken the head's version.
        let unmarked = plan(base: ["a": "mine"], local: ["a": "mine"], head: ["a": "theirs"])
        #expect(unmarked.conflicts.isEmpty && files(unmarked.target) == ["a": "theirs"])
        let marked = plan(base: ["a": "mine"], local: ["a": "mine"], head: ["a": "theirs"], unsettled: [SyncPath("a")])
        #expect(marked.conflicts.count == 1)
        #expect(files(marked.merged) == ["a": "theirs", "a (conflict hostA \(stamp))": "mine"])
    }

    @Test func pullListsLocalEditsAndMarksBothChangedUnsettled() {
        let result = plan(base: ["a": "a", "b": "b"], local: ["a": "mine", "b": "x1"], head: ["a": "theirs", "b": "b"], mode: .pull)
        #expect(result.leftAlone == [SyncPath("a"), SyncPath("b")])
        #expect(result.unsettled == [SyncPath("a")])
        #expect(!result.sendsHead)
    }

    @Test func replaceReportsTheLocalVersionsItReplaces() {
        let result = plan(base: ["a": "a"], local: ["a": "mine", "n": "new", "b": "b"], head: ["a": "theirs", "b": "b"], mode: .replace)
        #expect(result.replacedLocalVersions == [SyncPath("a"), SyncPath("n")])
        #expect(Set(result.deleted) == [SyncPath("n")])
    }

    @Test func conflictNames() {
        #expect(String(decoding: namer.name(for: Array("report.final.pdf".utf8)) { _ in false }, as: UTF8.self) == "report.final (conflict hostA \(stamp)).pdf")
        #expect(String(decoding: namer.name(for: Array(".profile".utf8)) { _ in false }, as: UTF8.self) == ".profile (conflict hostA \(stamp))")
        let taken = Array("a (conflict hostA \(stamp))".utf8)
        #expect(String(decoding: namer.name(for: Array("a".utf8)) { $0 == taken }, as: UTF8.self) == "a (conflict hostA \(stamp) 2)")
        #expect(ConflictName(host: "a/b", time: .now()).host == "a_b")
        #expect(stamp.count == "2026-11-18 120000".count)
        // A long name is shortened to 255 bytes, on a character boundary, keeping the tag.
        let long = Array(String(repeating: "é", count: 200).utf8) + Array(".txt".utf8)
        let shortened = namer.name(for: long) { _ in false }
        #expect(shortened.count <= 255)
        #expect(String(validating: shortened, as: UTF8.self)?.hasSuffix("(conflict hostA \(stamp)).txt") == true)
        let longHost = ConflictName(host: String(repeating: "h", count: 300), time: .now())
        #expect(longHost.name(for: Array("a.txt".utf8)) { _ in false }.count <= 255)
    }
}
