import Foundation
import Glibc
import Testing
import VaultTestSupport

/// `vault sync` with the host's sync state (`$XDG_CACHE_HOME/vault/sync`).
@Suite("vault sync: the host's sync state")
struct SyncStateCommandTests {
    struct Setup {
        let directory: TemporaryDirectory
        let vault: VaultProcess
        var repo: String { directory.appending("repo") }
        var a: String { directory.appending("a") }
        var b: String { directory.appending("b") }
        var cache: String { directory.appending("cache") }

        init(encrypted: Bool = false, cache: Bool = true) throws {
            directory = try TemporaryDirectory()
            var vault = VaultProcess()
            if cache { vault.environment["XDG_CACHE_HOME"] = directory.appending("cache") }
            self.vault = vault
            for folder in ["a", "b"] {
                try FileManager.default.createDirectory(atPath: directory.appending(folder), withIntermediateDirectories: true)
            }
            let options = encrypted ? ["--scrypt-n", "1024"] : ["--no-encryption"]
            try #require(try vault.run(["init", "-r", directory.appending("repo"), "--pack-size", "1M"] + options).status == 0)
        }

        func write(_ folder: String, _ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: folder + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        func read(_ folder: String, _ path: String) -> String? {
            (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))).map { String(decoding: $0, as: UTF8.self) }
        }

        func sync(_ folder: String, host: String, _ vault: VaultProcess? = nil) throws -> VaultProcess.Result {
            try (vault ?? self.vault).run(["sync", "-r", repo, "--name", "docs", "--host", host, "--json", folder])
        }

        func report(_ result: VaultProcess.Result) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardError)")
        }
    }

    @Test("a sync where nothing changed needs neither the key nor the lock, and says so")
    func nothingChangedNeedsNoKey() throws {
        let setup = try Setup(encrypted: true)
        for index in 0..<20 { try setup.write(setup.a, "d\(index % 4)/f\(index)", "v\(index)") }
        #expect(try setup.sync(setup.a, host: "home").status == 0)
        #expect(try setup.sync(setup.b, host: "work").status == 0)
        #expect(try setup.sync(setup.a, host: "home").status == 0)  // reads work's base with the key, records it
        let quick = try setup.sync(setup.a, host: "home")
        #expect(quick.status == 0)
        let report = try setup.report(quick)
        #expect(report["unchanged"] as? Bool == true && report["checkedByState"] as? Bool == true)
        #expect((report["head"] as? String)?.count == 64)
        // Not even a password is needed: the key is not derived.
        var wrongPassword = setup.vault
        wrongPassword.environment["VAULT_PASSWORD"] = "not the password"
        #expect(try setup.report(try setup.sync(setup.a, host: "home", wrongPassword))["checkedByState"] as? Bool == true)
        // With a change, the key is needed again, and the wrong password fails.
        try setup.write(setup.a, "d0/f0", "edited")
        let refused = try setup.sync(setup.a, host: "home", wrongPassword)
        #expect(refused.status != 0)
        let sent = try setup.sync(setup.a, host: "home")
        #expect(try setup.report(sent)["sent"] as? [String] == ["d0/f0"])
        #expect(try setup.report(try setup.sync(setup.b, host: "work"))["received"] as? [String] == ["d0/f0"])
        #expect(setup.read(setup.b, "d0/f0") == "edited")
    }

    @Test("without a cache folder, sync works as before")
    func noCacheFolder() throws {
        let setup = try Setup(cache: false)
        #expect(setup.vault.environment["HOME"] == nil && setup.vault.environment["XDG_CACHE_HOME"] == nil)
        try setup.write(setup.a, "x", "x")
        #expect(try setup.sync(setup.a, host: "home").status == 0)
        let again = try setup.report(try setup.sync(setup.a, host: "home"))
        #expect(again["unchanged"] as? Bool == true && again["checkedByState"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: setup.cache))
    }

    @Test("kill -9 at any point, the state write included, never makes a later sync skip a change")
    func killDuringSyncLeavesNoMisleadingState() throws {
        let setup = try Setup()
        for index in 0..<60 { try setup.write(setup.a, "d\(index % 6)/f\(index)", "v0 \(index)") }
        #expect(try setup.sync(setup.a, host: "home").status == 0)
        #expect(try setup.sync(setup.b, host: "work").status == 0)
        for point in 0..<12 {
            try setup.write(setup.a, "d\(point % 6)/f\(point)", "home \(point)")
            #expect(try setup.sync(setup.a, host: "home").status == 0)
            try setup.write(setup.b, "d\(point % 6)/work\(point)", "work \(point)")
            let process = try setup.vault.start(["sync", "-r", setup.repo, "--name", "docs", "--host", "work", setup.b])
            usleep(useconds_t(20_000 + point * 40_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whatever the killed sync left (a state file old, new or half-written), the next ones converge.
            let next = try setup.sync(setup.b, host: "work")
            #expect(next.status == 0, "point \(point): \(next.standardError)")
            #expect(try setup.sync(setup.a, host: "home").status == 0)
            #expect(setup.read(setup.a, "d\(point % 6)/work\(point)") == "work \(point)", "point \(point)")
            #expect(setup.read(setup.b, "d\(point % 6)/f\(point)") == "home \(point)", "point \(point)")
            // And a later change on the other host still arrives.
            try setup.write(setup.a, "d\(point % 6)/late\(point)", "late \(point)")
            #expect(try setup.sync(setup.a, host: "home").status == 0)
            #expect(try setup.sync(setup.b, host: "work").status == 0)
            #expect(setup.read(setup.b, "d\(point % 6)/late\(point)") == "late \(point)", "point \(point)")
        }
    }
}
