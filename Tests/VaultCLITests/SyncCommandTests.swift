import Foundation
import VaultTestSupport
import Testing

/// End-to-end tests of `vault sync`: two hosts simulated with `--host` and two folders.
@Suite("vault sync")
struct SyncCommandTests {
    let vault = VaultProcess()

    struct Setup {
        let directory: TemporaryDirectory
        var repo: String { directory.appending("repo") }
        var a: String { directory.appending("a") }
        var b: String { directory.appending("b") }

        init(_ vault: VaultProcess) throws {
            directory = try TemporaryDirectory()
            for folder in ["a", "b"] {
                try FileManager.default.createDirectory(atPath: directory.appending(folder), withIntermediateDirectories: true)
            }
            try #require(try vault.run(["init", "-r", directory.appending("repo"), "--no-encryption", "--pack-size", "1M"]).status == 0)
        }

        func write(_ folder: String, _ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: folder + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        /// A folder's files (path → text), leaving out temporary files a killed sync left.
        func files(_ folder: String) throws -> [String: String] {
            var result: [String: String] = [:]
            let enumerator = FileManager.default.enumerator(atPath: folder)
            while let relative = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = folder + "/" + relative
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      !(relative.split(separator: "/").last ?? "").hasPrefix(".vault-sync-") else { continue }
                result[relative] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            }
            return result
        }

        func sync(_ vault: VaultProcess, _ folder: String, host: String, _ extra: [String] = []) throws -> VaultProcess.Result {
            try vault.run(["sync", "-r", repo, "--name", "docs", "--host", host] + extra + [folder])
        }
    }

    @Test("a conflict exits 6, reports both names, and keeps both versions")
    func conflictExitCodeAndJSON() throws {
        let setup = try Setup(vault)
        try setup.write(setup.a, "notes.txt", "v0")
        #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
        #expect(try setup.sync(vault, setup.b, host: "work").status == 0)
        try setup.write(setup.a, "notes.txt", "home's edit")
        try setup.write(setup.b, "notes.txt", "work's edit")
        #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
        let result = try setup.sync(vault, setup.b, host: "work", ["--json"])
        #expect(result.status == 6, "\(result.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let conflicts = try #require(json["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1)
        #expect(conflicts.first?["path"] as? String == "notes.txt")
        let copy = try #require(conflicts.first?["copy"] as? String)
        #expect(copy.hasPrefix("notes (conflict work ") && copy.hasSuffix(").txt"))
        #expect(try setup.files(setup.b) == ["notes.txt": "home's edit", copy: "work's edit"])
        #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
        #expect(try setup.files(setup.a) == setup.files(setup.b))
        // The history lists the sync snapshots, and any of them restores.
        let restored = setup.directory.appending("restored")
        #expect(try vault.run(["restore", "-r", setup.repo, "--snapshot", "latest", "--target", restored]).status == 0)
        #expect(try setup.files(restored) == setup.files(setup.a))
    }

    @Test("bad combinations are usage errors", arguments: [
        ["--replace"], ["--pull", "--push"], ["--prefer", "both"], ["--pull", "--prefer", "local"],
    ])
    func usageErrors(_ extra: [String]) throws {
        let setup = try Setup(vault)
        let result = try setup.sync(vault, setup.a, host: "home", extra)
        #expect(result.status == 64)
    }

    @Test("a folder that does not exist is a one-line error")
    func missingFolder() throws {
        let setup = try Setup(vault)
        let result = try setup.sync(vault, setup.directory.appending("nope"), host: "home")
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("vault: "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("kill -9 at 10 points of a sync: the next sync converges and loses nothing")
    func killDuringSync() throws {
        let setup = try Setup(vault)
        for index in 0..<150 { try setup.write(setup.a, "f\(index % 10)/file\(index)", "v0 \(index)") }
        #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
        #expect(try setup.sync(vault, setup.b, host: "work").status == 0)
        for point in 0..<10 {
            for index in 0..<150 { try setup.write(setup.a, "f\(index % 10)/file\(index)", "v\(point + 1) \(index) from home") }
            #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
            let workEdit = "f\(point)/work-only-\(point)"
            try setup.write(setup.b, workEdit, "work's file \(point)")
            try setup.write(setup.b, "f\(point)/file\(point)", "work's edit \(point)")
            let process = try vault.start(["sync", "-r", setup.repo, "--name", "docs", "--host", "work", setup.b])
            usleep(useconds_t(50_000 + point * 90_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let next = try setup.sync(vault, setup.b, host: "work")
            #expect(next.status == 0 || next.status == 6, "point \(point): \(next.standardError)")
            #expect(try setup.sync(vault, setup.a, host: "home").status == 0)
            #expect(try setup.sync(vault, setup.b, host: "work").status == 0)
            let a = try setup.files(setup.a)
            #expect(a == (try setup.files(setup.b)), "point \(point)")
            let values = Set(a.values)
            #expect(values.contains("work's file \(point)") && values.contains("work's edit \(point)"), "point \(point)")
            for index in 0..<150 where index != point {
                #expect(a["f\(index % 10)/file\(index)"] == "v\(point + 1) \(index) from home", "point \(point), file \(index)")
            }
            #expect(values.contains("v\(point + 1) \(point) from home"), "point \(point)")
            let leftovers = FileManager.default.enumerator(atPath: setup.b)?.compactMap { $0 as? String }.filter { $0.contains(".vault-sync-") } ?? []
            #expect(leftovers.isEmpty, "point \(point): \(leftovers)")
        }
    }

    @Test("as a user without rights: an unreadable folder is no deletion, an unwritable one is retried")
    func permissions() throws {
        let setup = try Setup(vault)
        #expect(chmod(setup.directory.path, 0o755) == 0)
        try setup.write(setup.a, "private/secret", "s")
        try setup.write(setup.a, "a", "a")
        try shell("chown -R 65534:65534 '\(setup.repo)' '\(setup.a)' '\(setup.b)'")
        let nobody = vault.asUser(65534)
        #expect(try setup.sync(nobody, setup.a, host: "home").status == 0)
        #expect(try setup.sync(nobody, setup.b, host: "work").status == 0)
        #expect(try setup.files(setup.b) == ["a": "a", "private/secret": "s"])

        // Unreadable on work: exit 3, and home keeps the folder's files.
        try shell("chown 0:0 '\(setup.b)/private' && chmod 700 '\(setup.b)/private'")
        let unreadable = try setup.sync(nobody, setup.b, host: "work")
        #expect(unreadable.status == 3, "\(unreadable.standardError)")
        #expect(unreadable.standardError.contains("private"))
        #expect(try setup.sync(nobody, setup.a, host: "home").status == 0)
        #expect(try setup.files(setup.a) == ["a": "a", "private/secret": "s"])
        try shell("chown -R 65534:65534 '\(setup.b)/private'")

        // Unwritable on work: the change is reported, and applied by the next sync once writable.
        try setup.write(setup.a, "a", "home's edit")
        #expect(try setup.sync(nobody, setup.a, host: "home").status == 0)
        try shell("chown 0:0 '\(setup.b)' && chmod 755 '\(setup.b)'")
        let unwritable = try setup.sync(nobody, setup.b, host: "work")
        #expect(unwritable.standardOutput.contains("not changed a"), "\(unwritable.standardOutput)")
        #expect(try setup.files(setup.b)["a"] == "a")
        try shell("chown 65534:65534 '\(setup.b)'")
        let retried = try setup.sync(nobody, setup.b, host: "work")
        #expect(retried.status == 0, "\(retried.standardOutput)")
        let finalFiles = try setup.files(setup.b)
        #expect(finalFiles == ["a": "home's edit", "private/secret": "s"], "\(finalFiles) \(unwritable.standardOutput) \(retried.standardOutput)")
    }
}
