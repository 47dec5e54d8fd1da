import Foundation
import VaultTestSupport
import Glibc
import Testing

/// End-to-end tests of `vault snapshots`, `ls`, `diff`, `find` and `stats`.
@Suite("vault snapshots, ls, diff, find, stats")
struct BrowseCommandTests {
    /// A repository and a source tree backed up twice, through the binary.
    struct Backups {
        let directory: TemporaryDirectory
        let repo: String
        /// The source tree's path as snapshots record it (normalized).
        let source: String
        /// Runs vault with a password and TZ=UTC.
        let vault: VaultProcess
        /// The two snapshots' full IDs, oldest first.
        var ids: [String] = []

        init() throws {
            directory = try TemporaryDirectory()
            repo = directory.appending("repo")
            source = "/" + directory.appending("src").split(separator: "/").joined(separator: "/")
            var vault = VaultProcess()
            vault.environment["TZ"] = "UTC"
            self.vault = vault
            let created = try vault.run(["init", "-r", repo, "--scrypt-n", "1024"])
            try #require(created.status == 0, "\(created.standardError)")
        }

        /// Writes a file under the source tree.
        func write(_ relative: String, _ text: String) throws {
            let url = URL(fileURLWithPath: source + "/" + relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }

        /// Backs the source tree up; returns the new snapshot's full ID.
        @discardableResult
        mutating func backup(_ options: [String] = []) throws -> String {
            let result = try vault.run(["backup", "-r", repo, source] + options)
            try #require(result.status == 0, "\(result.standardError)")
            let listed = try vault.run(["snapshots", "-r", repo, "--json"])
            let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            let id = try #require(array.last?["id"] as? String)
            ids.append(id)
            return id
        }

        /// The first backup: a.txt, a non-UTF-8 name, a symlink, sub/b.txt.
        /// The second: a.txt changed, gone.txt removed, new.txt added.
        static func twoSnapshots() throws -> Backups {
            var backups = try Backups()
            try backups.write("a.txt", "alpha")
            try backups.write("gone.txt", "bye")
            try backups.write("sub/b.txt", "beta")
            let name = Array((backups.source + "/odd").utf8) + [0xFF]
            let descriptor = (name.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
            try #require(descriptor >= 0)
            close(descriptor)
            try FileManager.default.createSymbolicLink(atPath: backups.source + "/link", withDestinationPath: "a.txt")
            try backups.backup(["--host", "h1", "--tag", "one"])
            try backups.write("a.txt", "alpha, changed")
            try FileManager.default.removeItem(atPath: backups.source + "/gone.txt")
            try backups.write("new.txt", "new")
            try backups.backup(["--host", "h2", "--tag", "two"])
            return backups
        }

        var short: [String] { ids.map { String($0.prefix(8)) } }
    }

    @Test("snapshots: a table, filters that combine, and a JSON array")
    func snapshots() throws {
        var backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let table = try vault.run(["snapshots", "-r", backups.repo])
        #expect(table.status == 0)
        let lines = table.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        func cells(_ line: String) -> [String] {
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(cells(lines[0]) == ["ID", "Time", "Host", "Kind", "Parent", "Paths", "Size", "Tags"])
        #expect(lines[1].hasPrefix("--------  -------------------  "))
        // The first snapshot has no parent (another host's snapshot is no parent): that cell is empty.
        let first = cells(lines[2])
        #expect(first.count == 7)
        #expect(first[0] == backups.short[0])
        #expect(first[1].count == 19)
        #expect(Array(first[2...]) == ["h1", "full", backups.source, "12 B", "one"])
        #expect(Array(cells(lines[3])[2...]) == ["h2", "full", backups.source, "21 B", "two"])
        #expect(lines[4] == "2 snapshots")

        let h1 = try vault.run(["snapshots", "-r", backups.repo, "--host", "h1"]).standardOutput
        #expect(h1.contains(backups.short[0]) && !h1.contains(backups.short[1]))
        let anyTag = try vault.run(["snapshots", "-r", backups.repo, "--tag", "one", "--tag", "two"]).standardOutput
        #expect(anyTag.hasSuffix("2 snapshots\n"))
        let none = try vault.run(["snapshots", "-r", backups.repo, "--host", "h1", "--tag", "two"])
        #expect(none.status == 0)
        #expect(none.standardOutput.hasSuffix("0 snapshots\n"))
        let byPath = try vault.run(["snapshots", "-r", backups.repo, "--path", backups.source + "/", "--tag", "two"]).standardOutput
        #expect(byPath.contains(backups.short[1]) && byPath.hasSuffix("1 snapshot\n"))

        let json = try vault.run(["snapshots", "-r", backups.repo, "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.map { $0["id"] as? String } == backups.ids)
        #expect(array[1]["host"] as? String == "h2")
        #expect(array[1]["paths"] as? [String] == [backups.source])
        #expect(array[1]["tags"] as? [String] == ["two"])
        #expect((array[1]["tree"] as? String)?.count == 64)
        #expect((array[1]["summary"] as? [String: Any])?["bytesTotal"] as? Int == 14 + 4 + 3)

        // A third backup of h2 is incremental, with the second as its parent.
        try backups.backup(["--host", "h2"])
        let third = try vault.run(["snapshots", "-r", backups.repo, "--host", "h2"]).standardOutput.split(separator: "\n").map(String.init)
        #expect(third.count == 5)
        #expect(cells(third[3]) == [backups.short[2], cells(third[3])[1], "h2", "incremental", backups.short[1], backups.source, "21 B"])
        #expect(third[4] == "2 snapshots")
    }

    @Test("ls: paths, escaped names, --long with the symlink's target, --recursive, --json")
    func ls() throws {
        let backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let source = backups.source
        let plain = try vault.run(["ls", "-r", backups.repo, "\(backups.short[0]):\(source)"])
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(plain.standardOutput == """
            \(source)/a.txt
            \(source)/gone.txt
            \(source)/link
            \(source)/odd\\xff
            \(source)/sub

            """)
        let recursive = try vault.run(["ls", "-r", backups.repo, "latest:\(source)/sub", "--recursive"])
        #expect(recursive.standardOutput == "\(source)/sub/b.txt\n")
        let everything = try vault.run(["ls", "-r", backups.repo, "latest", "-R"]).standardOutput
        #expect(everything.hasSuffix("\(source)/sub\n\(source)/sub/b.txt\n"))

        let long = try vault.run(["ls", "-r", backups.repo, "latest:\(source)/link", "--long"])
        #expect(long.standardOutput.hasPrefix("lrwxrwxrwx  "))
        #expect(long.standardOutput.hasSuffix("  \(source)/link -> a.txt\n"))

        let json = try vault.run(["ls", "-r", backups.repo, "\(backups.ids[0]):\(source)", "--json"])
        let objects = try json.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.count == 5)
        #expect(objects[0]["path"] as? String == "\(source)/a.txt")
        #expect(objects[0]["size"] as? Int == 5)
        #expect(objects[2]["link_target"] as? String == "a.txt")
        #expect(objects[3]["path"] as? String == "\(source)/odd\\xff")
        #expect(objects[3]["path_bytes"] as? String == (Data(source.utf8) + Data("/odd".utf8) + Data([0xFF])).base64EncodedString())
        #expect(objects[4]["type"] as? String == "dir")
    }

    @Test("unknown snapshots and missing paths are one-line errors with exit code 1; bad references exit 64")
    func errors() throws {
        let backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let unknown = try vault.run(["ls", "-r", backups.repo, "0123456789abcdef0123"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError == "vault: no snapshot 0123456789abcdef0123\n")
        let missing = try vault.run(["ls", "-r", backups.repo, "latest:/no/such/path"])
        #expect(missing.status == 1)
        #expect(missing.standardError == "vault: snapshot \(backups.short[1]) has no /no/such/path\n")
        let invalid = try vault.run(["diff", "-r", backups.repo, "latest", "not-an-id"])
        #expect(invalid.status == 64)
        #expect(invalid.standardError.split(separator: "\n").count == 1)
        let stats = try vault.run(["stats", "-r", backups.repo, "fedcba9876543210"])
        #expect(stats.status == 1)
        #expect(stats.standardError == "vault: no snapshot fedcba9876543210\n")
        let find = try vault.run(["find", "-r", backups.repo, "*", "--snapshot", "fedcba9876543210"])
        #expect(find.status == 1)
        #expect(find.standardError == "vault: no snapshot fedcba9876543210\n")
        let badMode = try vault.run(["stats", "-r", backups.repo, "--mode", "everything"])
        #expect(badMode.status == 64)
    }

    @Test("an ambiguous prefix is a one-line error naming how many snapshots match")
    func ambiguousPrefix() throws {
        var backups = try Backups()
        // Back up until two snapshot IDs share their first digit (at most 17 backups).
        while Set(backups.ids.map { $0.prefix(1) }).count == backups.ids.count {
            try backups.write("file", "version \(backups.ids.count)")
            try backups.backup()
        }
        let counts = Dictionary(grouping: backups.ids, by: { String($0.prefix(1)) })
        let shared = try #require(counts.first { $0.value.count > 1 })
        let result = try backups.vault.run(["ls", "-r", backups.repo, shared.key])
        #expect(result.status == 1)
        #expect(result.standardError == "vault: snapshot ID \(shared.key) is ambiguous: it matches \(shared.value.count) snapshots; give more digits\n")
        let byFullID = try backups.vault.run(["ls", "-r", backups.repo, shared.value[0]])
        #expect(byFullID.status == 0)
    }

    @Test("diff: one line per change and a summary; identical snapshots print only the summary")
    func diff() throws {
        let backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let source = backups.source
        let result = try vault.run(["diff", "-r", backups.repo, backups.short[0], backups.short[1]])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == """
            M \(source)/a.txt
            - \(source)/gone.txt
            + \(source)/new.txt
            1 added, 1 removed, 1 modified, 0 type changed

            """)
        let same = try vault.run(["diff", "-r", backups.repo, backups.short[1], "latest"])
        #expect(same.standardOutput == "0 added, 0 removed, 0 modified, 0 type changed\n")

        let json = try vault.run(["diff", "-r", backups.repo, backups.short[0], backups.short[1], "--json"])
        let objects = try json.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["change"] as? String } == ["M", "-", "+", nil])
        #expect(objects[2]["path"] as? String == "\(source)/new.txt")
        #expect(objects[3]["message_type"] as? String == "summary")
        #expect(objects[3]["added"] as? Int == 1)
    }

    @Test("find: matches across snapshots; nothing found is exit 0 and no output")
    func find() throws {
        let backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let source = backups.source
        let result = try vault.run(["find", "-r", backups.repo, "*.txt"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.prefix(8)) } == [backups.short[0], backups.short[0], backups.short[0], backups.short[1], backups.short[1], backups.short[1]])
        #expect(lines.map { String($0.split(separator: "  ").last ?? "") } == [
            "\(source)/a.txt", "\(source)/gone.txt", "\(source)/sub/b.txt",
            "\(source)/a.txt", "\(source)/new.txt", "\(source)/sub/b.txt",
        ])
        #expect(lines[3].hasSuffix("  14  \(source)/a.txt"))

        let one = try vault.run(["find", "-r", backups.repo, "A.TXT", "-i", "--snapshot", backups.short[0]])
        #expect(one.standardOutput.split(separator: "\n").count == 1)
        let byHost = try vault.run(["find", "-r", backups.repo, "new.txt", "--host", "h1"])
        #expect(byHost.status == 0)
        #expect(byHost.standardOutput.isEmpty)

        let nothing = try vault.run(["find", "-r", backups.repo, "*.jpg"])
        #expect(nothing.status == 0)
        #expect(nothing.standardOutput.isEmpty)
        #expect(nothing.standardError.isEmpty)

        let json = try vault.run(["find", "-r", backups.repo, "\(source)/sub/*", "--json"])
        let objects = try json.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["snapshot"] as? String } == backups.ids)
        #expect(objects.allSatisfy { $0["path"] as? String == "\(source)/sub/b.txt" })
    }

    @Test("stats: restore-size and raw-data numbers, repository totals without a snapshot, --json")
    func stats() throws {
        let backups = try Backups.twoSnapshots()
        let vault = backups.vault
        let depth = backups.source.split(separator: "/").count
        let latest = try vault.run(["stats", "-r", backups.repo, "latest", "--json"])
        #expect(latest.status == 0, "\(latest.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(latest.standardOutput.utf8)) as? [String: Any])
        #expect(object["mode"] as? String == "restore-size")
        #expect(object["snapshots"] as? Int == 1)
        #expect(object["files"] as? Int == 4)  // a.txt, new.txt, odd\xff, sub/b.txt
        #expect(object["directories"] as? Int == depth + 1)
        #expect(object["others"] as? Int == 1)
        #expect(object["total_size"] as? Int == 14 + 3 + 0 + 4)
        #expect(object["repository"] == nil)

        let all = try vault.run(["stats", "-r", backups.repo, "--mode", "raw-data", "--json"])
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(all.standardOutput.utf8)) as? [String: Any])
        #expect(raw["snapshots"] as? Int == 2)
        #expect(raw["data_blobs"] as? Int == 5)  // alpha, bye, beta, "alpha, changed", new
        #expect(raw["missing_blobs"] as? Int == 0)
        let repository = try #require(raw["repository"] as? [String: Any])
        #expect(repository["data_blobs"] as? Int == 5)
        #expect((repository["packs"] as? Int ?? 0) >= 1)

        let text = try vault.run(["stats", "-r", backups.repo])
        #expect(text.standardOutput.hasPrefix("restore-size of 2 snapshots:\n  files:         8\n"))
        #expect(text.standardOutput.contains("\nrepository:\n  packs:  "))
    }
}
