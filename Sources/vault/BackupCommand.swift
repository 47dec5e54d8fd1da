import ArgumentParser
import Foundation
import VaultOperations
import VaultPOSIX
import VaultRepository

/// `vault backup`: takes a snapshot.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up files and directories, or standard input, into a new snapshot.",
        discussion: """
            By default the snapshot is incremental: files whose size, times, inode and device are those of the \
            latest snapshot of the same host and paths are taken from it without being read. --differential \
            compares with the latest full snapshot instead; --full reads every file. The first backup of a set of \
            paths is always full. Every snapshot restores on its own. Exit code 3 means some files could not be read.

            Ransomware check: when at least 50 new or changed files, and at least 20% of them, look freshly \
            encrypted (they stopped compressing, lost the magic number of their extension, or were renamed to a \
            shared new extension), the snapshot is still saved but marked suspect, a warning names examples and the \
            last clean snapshot, and the exit code is 5. Set the rule with --ransomware-threshold N,P%.
            """
    )

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "Files and directories to back up.")
    var paths: [String] = []

    @Flag(help: "Read every file (a full snapshot).")
    var full = false

    @Flag(help: "Take unchanged files from the latest full snapshot (a differential snapshot).")
    var differential = false

    @Option(name: .customLong("tag"), help: ArgumentHelp("Add a tag to the snapshot (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(help: ArgumentHelp("The host name to record (default: this host's).", valueName: "name"))
    var host: String?

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave out entries matching a glob; with a '/' it matches the whole path (repeatable).", valueName: "pattern"))
    var excludes: [String] = []

    @Option(name: .customLong("exclude-file"), help: ArgumentHelp("Read exclude patterns from a file, one per line.", valueName: "file"))
    var excludeFiles: [String] = []

    @Flag(help: "Leave out the contents of directories holding a CACHEDIR.TAG.")
    var excludeCaches = false

    @Flag(help: "Do not cross into other file systems.")
    var oneFileSystem = false

    @Flag(help: "Back up standard input as one file.")
    var stdin = false

    @Option(help: ArgumentHelp("The file name for --stdin (default: stdin).", valueName: "name"))
    var stdinFilename = "stdin"

    @Flag(help: "Print newline-delimited JSON status and summary objects on standard output.")
    var json = false

    @Option(help: ArgumentHelp("Mark the snapshot suspect when at least N files and P percent of the new or changed files look encrypted (default 50,20%).", valueName: "N,P%"))
    var ransomwareThreshold: String?

    @Flag(help: "Do not check for files encrypted by ransomware.")
    var noRansomwareCheck = false

    func validate() throws {
        if full && differential {
            throw ValidationError("--full and --differential exclude each other")
        }
        if stdin && !paths.isEmpty {
            throw ValidationError("--stdin takes no paths")
        }
        if !stdin && paths.isEmpty {
            throw ValidationError("give at least one path to back up, or --stdin")
        }
        if noRansomwareCheck && ransomwareThreshold != nil {
            throw ValidationError("--no-ransomware-check and --ransomware-threshold exclude each other")
        }
        if let ransomwareThreshold {
            do {
                _ = try RansomwareThreshold(parsing: ransomwareThreshold)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if stdin && !TreeNode.isValidName(Array(stdinFilename.utf8)) {
            throw ValidationError("--stdin-filename must be a plain file name")
        }
    }

    func run() async throws {
        // Chunk copies and stored blobs cross threads; mapped, they leave no fragmented heap behind (ProcessMemory).
        ProcessMemory.mapLargeBlocks()
        var options = BackupOptions(paths: paths)
        options.kind = full ? .full : differential ? .differential : .incremental
        options.tags = tags
        if let host { options.host = host }
        options.excludeCaches = excludeCaches
        options.oneFileSystem = oneFileSystem
        options.ransomwareThreshold = noRansomwareCheck ? nil : try ransomwareThreshold.map(RansomwareThreshold.init(parsing:)) ?? .default
        for pattern in excludes {
            try options.excludes.add(pattern)
        }
        for file in excludeFiles {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw OperationError(.invalidArgument, "cannot read the exclude file \(file)")
            }
            try options.excludes.add(fileContents: String(decoding: data, as: UTF8.self))
        }

        if stdin && StandardStreams.inputWasClosed {
            throw OperationError(.noSource, "cannot back up standard input: it is closed")
        }
        let opened = try await repository.openRepository()
        let interrupt = InterruptHandler.install()
        let reporter = BackupReporter(json: json)
        let backup = Backup(repository: opened, options: options, interrupt: interrupt) { reporter.progress($0) }
        let stream: StandardInputSource? = stdin ? .standardInput(fileName: stdinFilename, interrupt: interrupt) : nil
        let result = try await backup.run(stream: stream)
        reporter.finish(result)
        if result.manifest.suspect != nil {
            throw ExitCode(.suspect)
        }
        if result.manifest.incomplete {
            throw ExitCode(.incomplete)
        }
    }
}
