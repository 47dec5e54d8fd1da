import ArgumentParser
import VaultChunker
import VaultOperations
import VaultRepository

/// `vault init`: creates a repository.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new repository.",
        discussion: "The repository is encrypted with a password unless --no-encryption is given. The folder must not exist or be empty."
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var keyDerivation: KeyDerivationOptions

    @Flag(help: "Store data unencrypted (anyone who can read the repository can read the backups).")
    var noEncryption = false

    @Option(help: ArgumentHelp("FastCDC chunk sizes (default 512K,1M,8M).", valueName: "min,avg,max"))
    var chunkSizes: String?

    @Option(help: ArgumentHelp(
        "Compression for new data: none, zlib or zlib:LEVEL (1-9; default zlib:2, the fastest level within 1.05x restic's repository size, docs/benchmarks.md).",
        valueName: "codec"))
    var compression: String?

    @Option(help: ArgumentHelp("Size at which pack files are closed (default 16M).", valueName: "size"))
    var packSize: String?

    func run() async throws {
        let chunker = try parseChunkSizes()
        let compression = try parseCompression()
        let packSize = try parsePackSize()
        let location = try repository.location()
        let password = noEncryption ? nil : try repository.passwords.newPassword(label: "password for the new repository")
        let config = RepositoryConfig(isEncrypted: !noEncryption, chunker: chunker, compression: compression, packSize: packSize)
        let storage = try await location.createStorage()
        let created = try await Repository.create(in: storage, config: config, password: password, kdf: keyDerivation.parameters)
        print("created \(noEncryption ? "unencrypted" : "encrypted") repository \(created.config.id.shortHex) at \(location)")
        if !noEncryption {
            print("Keep the password safe: without it the backups cannot be read.")
        }
    }

    private func parseChunkSizes() throws(UsageError) -> ChunkerParameters {
        guard let chunkSizes else { return .repositoryDefault }
        let parts = chunkSizes.split(separator: ",", omittingEmptySubsequences: false).map { ByteCount.parse(String($0)) }
        guard parts.count == 3, let min = parts[0], let avg = parts[1], let max = parts[2] else {
            throw UsageError("invalid --chunk-sizes '\(chunkSizes)': use MIN,AVG,MAX, e.g. 512K,1M,8M")
        }
        do {
            return try ChunkerParameters(minSize: min, avgSize: avg, maxSize: max)
        } catch {
            throw UsageError("invalid --chunk-sizes: \(error)")
        }
    }

    private func parseCompression() throws(UsageError) -> CompressionSetting {
        guard let compression else { return .default }
        do {
            return try CompressionSetting(parsing: compression)
        } catch {
            throw UsageError(error.message)
        }
    }

    private func parsePackSize() throws(UsageError) -> Int {
        guard let packSize else { return RepositoryConfig.defaultPackSize }
        guard let size = ByteCount.parse(packSize), RepositoryConfig.packSizeRange.contains(size) else {
            throw UsageError("invalid --pack-size '\(packSize)': use a size from 1M to 1G")
        }
        return size
    }
}
