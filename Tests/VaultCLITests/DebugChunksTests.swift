import Foundation
import VaultTestSupport
import Testing

@Suite("vault debug chunks")
struct DebugChunksTests {
    let vault = VaultProcess()

    @Test("prints fastcdc-rs v2020's boundaries for SekienAkashita.jpg")
    func sekien() throws {
        let image = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/chunker/SekienAkashita.jpg").path
        try #require(FileManager.default.fileExists(atPath: image), "the fixture \(image) is missing")
        let result = try vault.run(["debug", "chunks", image, "--min-size", "4096", "--avg-size", "16384", "--max-size", "65535"])
        #expect(result.status == 0)
        // The published fastcdc-rs v2020 vectors for these sizes.
        #expect(result.standardOutput == "0 21325\n21325 17140\n38465 28084\n66549 18217\n84766 24700\n")
    }

    @Test("an empty file prints nothing")
    func emptyFile() throws {
        let directory = try TemporaryDirectory()
        FileManager.default.createFile(atPath: directory.appending("empty"), contents: Data())
        let result = try vault.run(["debug", "chunks", directory.appending("empty")])
        #expect(result.status == 0)
        #expect(result.standardOutput.isEmpty)
    }

    @Test("missing files, directories and out-of-range sizes are one-line errors", arguments: [
        ["/nonexistent/file"], ["/"], ["FILE", "--min-size", "32"], ["FILE", "--avg-size", "8M"], ["FILE", "--max-size", "x"],
    ])
    func errors(arguments: [String]) throws {
        let directory = try TemporaryDirectory()
        FileManager.default.createFile(atPath: directory.appending("file"), contents: Data([1, 2, 3]))
        let resolved = arguments.map { $0 == "FILE" ? directory.appending("file") : $0 }
        let result = try vault.run(["debug", "chunks"] + resolved)
        // A file that cannot be read is an error (1); a bad size a usage error (64).
        #expect(result.status == (arguments.count == 1 ? 1 : 64))
        #expect(result.standardError.hasPrefix("vault: "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }
}
