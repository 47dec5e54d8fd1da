import ArgumentParser
import VaultChunker
import VaultOperations
import VaultRepository

/// `vault debug`: tools for looking inside vault's machinery.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Tools for looking inside vault's machinery.",
        subcommands: [Chunks.self, DebugBenchCommand.self, DebugLockCommand.self]
    )

    struct Chunks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the chunk boundaries of a file, one 'OFFSET LENGTH' line per chunk."
        )

        @Argument(help: "The file to split.")
        var file: String

        @Option(help: "Minimum chunk size in bytes (default 512K).")
        var minSize: String?
        @Option(help: "Average chunk size in bytes (default 1M).")
        var avgSize: String?
        @Option(help: "Maximum chunk size in bytes (default 8M).")
        var maxSize: String?

        func run() async throws {
            let defaults = ChunkerParameters.repositoryDefault
            func size(_ text: String?, _ option: String, default value: Int) throws(UsageError) -> Int {
                guard let text else { return value }
                guard let parsed = ByteCount.parse(text) else {
                    throw UsageError("invalid --\(option) '\(text)'")
                }
                return parsed
            }
            let parameters: ChunkerParameters
            do {
                parameters = try ChunkerParameters(
                    minSize: try size(minSize, "min-size", default: defaults.minSize),
                    avgSize: try size(avgSize, "avg-size", default: defaults.avgSize),
                    maxSize: try size(maxSize, "max-size", default: defaults.maxSize)
                )
            } catch let error as UsageError {
                throw error
            } catch {
                throw UsageError("\(error)")
            }
            var output = ""
            try ChunkBoundaries.forEachChunk(inFileAt: file, chunker: try FastCDC(parameters: parameters)) { offset, length in
                output += "\(offset) \(length)\n"
                if output.utf8.count >= 1 << 16 {
                    print(output, terminator: "")
                    output = ""
                }
            }
            print(output, terminator: "")
        }
    }
}
