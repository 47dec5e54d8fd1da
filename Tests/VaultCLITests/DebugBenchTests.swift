import Foundation
import VaultTestSupport
import Testing

@Suite("vault debug bench: deflate engines")
struct DebugBenchTests {
    let vault = VaultProcess()

    @Test("reports zlib and libdeflate, on generated data and on a file")
    func bothEngines() throws {
        let directory = try TemporaryDirectory()
        let text = String(repeating: "the repository keeps every chunk of every file once. ", count: 40_000)
        FileManager.default.createFile(atPath: directory.appending("text"), contents: Data(text.utf8))
        let result = try vault.run([
            "debug", "bench", "--deflate-only", "--cpu-time", "--size", "1M", "--zlib-size", "1M", "--passes", "1",
            "--deflate-file", directory.appending("text"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("thread CPU time"))
        for row in ["| zlib-2 compress, 1 MiB blocks |", "| zlib-9 decompress |", "| libdeflate-1 compress, 1 MiB blocks |",
                    "| libdeflate-12 decompress |", "| zlib 6 |", "| libdeflate 4 |"] {
            #expect(output.contains(row), "missing \(row)")
        }
        // The file compresses far below 1: the ratio column is filled in.
        #expect(output.contains(directory.appending("text")))
        #expect(!output.contains("FastCDC"))
    }

    @Test("an unreadable or empty --deflate-file is a one-line error", arguments: ["/nonexistent/file", "EMPTY"])
    func badFile(path: String) throws {
        let directory = try TemporaryDirectory()
        FileManager.default.createFile(atPath: directory.appending("empty"), contents: Data())
        let resolved = path == "EMPTY" ? directory.appending("empty") : path
        let result = try vault.run(["debug", "bench", "--deflate-only", "--size", "1M", "--zlib-size", "1M", "--passes", "1",
                                    "--deflate-file", resolved])
        #expect(result.status != 0)
        #expect(result.standardError.hasPrefix("vault: "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }
}
