import ArgumentParser
import Foundation
import VaultChunker
import VaultCodecs
import VaultRepository

/// `vault debug bench`: single-core throughput of the chunker, the hashes,
/// the cipher and both deflate engines (zlib and libdeflate, which write the
/// same zlib streams) on in-memory data, as a markdown table.
///
/// Every figure is the fastest of `--passes` passes over the same bytes, on
/// one thread, in MB/s with MB = 10^6 bytes (as `openssl speed` counts).
/// Two kinds of data are measured: random bytes, which nothing compresses,
/// and text-like bytes (words from a fixed list), which compress about as
/// well as source code or documentation. Both are generated from fixed
/// seeds, so every run measures the same bytes.
struct DebugBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure single-core MB/s of the chunker, SHA-256, HMAC, AES-GCM, zlib and libdeflate in memory.",
        discussion: """
            Build with 'swift build -c release' first: a debug build is many times slower. \
            MB = 10^6 bytes. Each figure is the fastest of --passes passes, on one thread, over \
            random data and over text-like data (words from a fixed list). Each --deflate-file \
            adds a table of both deflate engines at levels 1, 2, 3, 4 and 6 on the start of that \
            file (--zlib-size bytes) in 1 MiB blocks: MB/s and output/input.
            """
    )

    @Option(help: ArgumentHelp("Bytes of each kind of data for the chunker, hashes and cipher (default 256M).", valueName: "size"))
    var size: String = "256M"

    @Option(help: ArgumentHelp("Bytes of each kind of data for zlib, which is slower (default 64M).", valueName: "size"))
    var zlibSize: String = "64M"

    @Option(help: "Passes per measurement; the fastest one counts.")
    var passes: Int = 3

    @Option(name: .customLong("deflate-file"), help: ArgumentHelp("Also compare zlib and libdeflate on the start of this file (repeatable).", valueName: "path"))
    var deflateFiles: [String] = []

    @Flag(help: "Measure only the deflate engines (skip the chunker, hashes, cipher and index rows).")
    var deflateOnly = false

    @Flag(help: ArgumentHelp("Time each pass by the measuring thread's CPU time instead of the wall clock.",
                             discussion: "On a machine shared with other work, a thread waits for a core; its CPU time leaves that out."))
    var cpuTime = false

    func run() async throws {
        guard let size = ByteCount.parse(size), size >= 1 << 20 else {
            throw UsageError("invalid --size '\(self.size)': use at least 1M, e.g. 256M")
        }
        guard let zlibSize = ByteCount.parse(zlibSize), zlibSize >= 1 << 20 else {
            throw UsageError("invalid --zlib-size '\(self.zlibSize)': use at least 1M, e.g. 64M")
        }
        guard passes >= 1 else {
            throw UsageError("invalid --passes \(passes): use 1 or more")
        }

        let random = BenchData.random(count: size)
        let text = BenchData.text(count: size)
        var bench = Bench(passes: passes, random: random, text: text, zlibSize: zlibSize, clock: cpuTime ? .threadCPU : .wall)
        var files: [(name: String, bytes: [UInt8])] = []
        for path in deflateFiles {
            files.append((path, try BenchData.prefix(of: path, count: zlibSize)))
        }

        print("vault debug bench: \(ByteCount.format(Int64(size))) per pass (zlib: \(ByteCount.format(Int64(min(zlibSize, size))))), fastest of \(passes), one thread, \(cpuTime ? "thread CPU time" : "wall clock"), MB = 10^6 bytes")
        #if DEBUG
        print("WARNING: this is a debug build; build with 'swift build -c release' for meaningful numbers.")
        #endif
        print("")
        print("| operation | random MB/s | text-like MB/s | note |")
        print("|---|---:|---:|---|")

        if deflateOnly {
            try bench.deflateRows()
            try bench.deflateFiles(files)
            print("")
            print("(check value \(String(bench.sink, radix: 16)): ignore it; it keeps the optimiser from skipping work)")
            return
        }
        try bench.chunker("FastCDC 512K/1M/8M (repository default)", .repositoryDefault)
        try bench.chunker("FastCDC 4K/16K/64K", ChunkerParameters(minSize: 4 << 10, avgSize: 16 << 10, maxSize: 64 << 10))

        for block in [16 << 10, 1 << 20] {
            bench.blocks("SHA-256, \(Bench.label(block)) messages", block: block) { message in
                SHA256Hasher.hash(message).words.0
            }
        }
        let hmac = HMACSHA256(key: [UInt8](repeating: 0x4b, count: 32))
        for block in [16 << 10, 1 << 20] {
            bench.blocks("HMAC-SHA-256, \(Bench.label(block)) messages", block: block) { message in
                hmac.authenticate(message).words.0
            }
        }
        let cipher = try AES256GCM(key: [UInt8](repeating: 0x6b, count: AES256GCM.keyByteCount))
        for block in [16 << 10, 1 << 20] {
            var sealed: [UInt8] = []
            sealed.reserveCapacity(block + AES256GCM.overhead)
            bench.blocks("AES-256-GCM seal, \(Bench.label(block)) messages", block: block) { message in
                sealed.removeAll(keepingCapacity: true)
                cipher.seal(message, appendingTo: &sealed)
                return UInt64(sealed[sealed.count - 1])
            }
        }
        try bench.deflateRows()
        try bench.deflateFiles(files)
        print("")
        try await IndexLoadBench.run(entries: 1_000_000, passes: passes)
        print("")
        print("(check value \(String(bench.sink, radix: 16)): ignore it; it keeps the optimiser from skipping work)")
    }
}

/// Runs the measurements of ``DebugBenchCommand`` and prints their rows.
private struct Bench {
    let passes: Int
    let random: [UInt8]
    let text: [UInt8]
    let zlibSize: Int
    /// Folds in a value from every operation so none can be optimised away.
    var sink: UInt64 = 0

    /// What a pass is timed by.
    enum Clock {
        case wall
        /// `CLOCK_THREAD_CPUTIME_ID`: the time this thread ran.
        case threadCPU
    }
    let clock: Clock

    init(passes: Int, random: [UInt8], text: [UInt8], zlibSize: Int, clock: Clock = .wall) {
        self.clock = clock
        self.passes = passes
        self.random = random
        self.text = text
        self.zlibSize = min(zlibSize, random.count)
    }

    /// Splits each input into chunks; the note gives the mean chunk size.
    mutating func chunker(_ name: String, _ parameters: ChunkerParameters) throws {
        let chunker = try FastCDC(parameters: parameters)
        var notes: [String] = []
        var speeds: [Double] = []
        for input in [random, text] {
            var chunks = 0
            let speed = input.withUnsafeBytes { bytes in
                fastest(bytes.count) {
                    var offset = 0
                    chunks = 0
                    while offset < bytes.count {
                        offset += chunker.cutPoint(in: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                        chunks += 1
                    }
                    return UInt64(chunks)
                }
            }
            speeds.append(speed)
            notes.append(ByteCount.format(Int64(input.count / max(chunks, 1))))
        }
        row(name, speeds, note: "mean chunk \(notes[0]) / \(notes[1])")
    }

    /// Applies `operation` to each consecutive `block`-byte message of each input.
    mutating func blocks(_ name: String, block: Int, _ operation: (UnsafeRawBufferPointer) -> UInt64) {
        var speeds: [Double] = []
        for input in [random, text] {
            speeds.append(input.withUnsafeBytes { bytes in
                let whole = bytes.count / block * block
                return fastest(whole) {
                    var folded: UInt64 = 0
                    var offset = 0
                    while offset < whole {
                        folded ^= operation(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + block)]))
                        offset += block
                    }
                    return folded
                }
            })
        }
        row(name, speeds, note: "")
    }

    /// The rows of both deflate engines: zlib at levels 1–9, libdeflate
    /// at 1–9 and 12.
    mutating func deflateRows() throws {
        for level in 1...9 {
            try deflate(.zlib, level: level)
        }
        for level in Array(1...9) + [12] {
            try deflate(.libdeflate, level: level)
        }
    }

    /// Compresses each input in 1 MiB blocks (the repository's average
    /// chunk), then decompresses the blocks; two rows.
    mutating func deflate(_ engine: DeflateEngine, level: Int) throws {
        var compressSpeeds: [Double] = []
        var decompressSpeeds: [Double] = []
        var ratios: [String] = []
        let codec = try BenchDeflater(engine, level: level)
        for input in [random, text] {
            let zlibSize = self.zlibSize
            let figures = try input.withUnsafeBytes { bytes in
                try measure(codec, on: UnsafeRawBufferPointer(rebasing: bytes.prefix(zlibSize)))
            }
            compressSpeeds.append(figures.compress)
            decompressSpeeds.append(figures.decompress)
            ratios.append(Self.percent(figures.compressedSize, of: zlibSize))
        }
        row("\(engine)-\(level) compress, 1 MiB blocks", compressSpeeds, note: "output/input \(ratios[0]) / \(ratios[1])")
        row("\(engine)-\(level) decompress", decompressSpeeds, note: "")
    }

    /// One table per call: both engines at levels 1, 2, 3, 4 and 6 on the
    /// start of each file, compress MB/s / output÷input and decompress MB/s.
    mutating func deflateFiles(_ files: [(name: String, bytes: [UInt8])]) throws {
        guard !files.isEmpty else { return }
        print("")
        print("Deflate engines on files (first \(ByteCount.format(Int64(zlibSize))) or less of each, 1 MiB blocks, one thread, fastest of \(passes)): compress MB/s / output÷input; decompress MB/s")
        print("")
        print("| engine, level | " + files.map { "\($0.name)" }.joined(separator: " | ") + " |")
        print("|---|" + files.map { _ in "---|" }.joined())
        for engine in [DeflateEngine.zlib, .libdeflate] {
            for level in [1, 2, 3, 4, 6] {
                let codec = try BenchDeflater(engine, level: level)
                var cells: [String] = []
                for file in files {
                    let figures = try file.bytes.withUnsafeBytes { bytes in try measure(codec, on: bytes) }
                    let ratio = Double(figures.compressedSize) / Double(max(1, file.bytes.count))
                    cells.append("\(Self.rate(figures.compress)) / \(Self.fraction(ratio)); \(Self.rate(figures.decompress))")
                }
                print("| \(engine) \(level) | " + cells.joined(separator: " | ") + " |")
            }
        }
    }

    /// Compresses `bytes` in 1 MiB blocks and decompresses them again,
    /// timing each.
    private mutating func measure(_ codec: BenchDeflater, on bytes: UnsafeRawBufferPointer) throws
        -> (compress: Double, decompress: Double, compressedSize: Int)
    {
        let block = 1 << 20
        let size = bytes.count
        var stream: [UInt8] = []
        stream.reserveCapacity(BenchDeflater.bound(size) + size / block * 64)
        var ends: [Int] = []
        let compressSpeed = fastest(size) {
            stream.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            var offset = 0
            while offset < size {
                let end = min(offset + block, size)
                codec.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), appendingTo: &stream)
                ends.append(stream.count)
                offset = end
            }
            return UInt64(stream.count)
        }
        var restored = [UInt8](repeating: 0, count: block)
        var failure: (any Error)?
        let decompressSpeed = stream.withUnsafeBytes { compressed in
            restored.withUnsafeMutableBytes { output in
                fastest(size) {
                    var start = 0
                    var total = 0
                    for end in ends {
                        do {
                            total += try codec.decompress(UnsafeRawBufferPointer(rebasing: compressed[start..<end]), into: output)
                        } catch {
                            failure = error
                            return 0
                        }
                        start = end
                    }
                    return UInt64(total)
                }
            }
        }
        if let failure { throw failure }
        return (compressSpeed, decompressSpeed, stream.count)
    }

    /// Runs `body` `passes` times over `byteCount` bytes.
    ///
    /// - Returns: The MB/s of the fastest pass.
    private mutating func fastest(_ byteCount: Int, _ body: () -> UInt64) -> Double {
        var best = Double.infinity
        for _ in 0..<passes {
            let start = now()
            sink = sink &* 31 &+ body()
            best = min(best, now() - start)
        }
        return Double(byteCount) / max(best, 1e-9) / 1e6
    }

    /// Seconds on the bench's clock, from an arbitrary start.
    private func now() -> Double {
        var time = timespec()
        clock_gettime(clock == .wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    private func row(_ name: String, _ speeds: [Double], note: String) {
        print("| \(name) | \(Self.rate(speeds[0])) | \(Self.rate(speeds[1])) | \(note) |")
    }

    /// `16 KiB`, `1 MiB`: a block size for a row name.
    static func label(_ block: Int) -> String {
        block >= 1 << 20 ? "\(block >> 20) MiB" : "\(block >> 10) KiB"
    }

    private static func rate(_ megabytesPerSecond: Double) -> String {
        let tenths = Int((megabytesPerSecond * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `0.421`: a ratio with three decimals.
    private static func fraction(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let digits = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }

    private static func percent(_ part: Int, of whole: Int) -> String {
        let tenths = Int((Double(part) * 1000 / Double(whole)).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

/// The two deflate implementations vault can use; both write and read
/// RFC 1950 zlib streams.
enum DeflateEngine: String, CustomStringConvertible {
    case zlib
    case libdeflate

    var description: String { rawValue }
}

/// One engine's compressor and decompressor at one level, for the bench.
private final class BenchDeflater {
    let engine: DeflateEngine
    private var zlibCompressor: ZlibCompressor?
    private var libdeflateCompressor: LibdeflateCompressor?
    private let zlibDecompressor: ZlibDecompressor
    private let libdeflateDecompressor = LibdeflateDecompressor()

    init(_ engine: DeflateEngine, level: Int) throws {
        self.engine = engine
        switch engine {
        case .zlib: zlibCompressor = try ZlibCompressor(level: level)
        case .libdeflate: libdeflateCompressor = try LibdeflateCompressor(level: level)
        }
        zlibDecompressor = try ZlibDecompressor()
    }

    /// An upper bound on either engine's output for `count` bytes.
    static func bound(_ count: Int) -> Int {
        max(ZlibCompressor.bound(count), LibdeflateCompressor.bound(count))
    }

    func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        switch engine {
        case .zlib: zlibCompressor!.compress(input, appendingTo: &output)
        case .libdeflate: libdeflateCompressor!.compress(input, appendingTo: &output)
        }
    }

    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        switch engine {
        case .zlib: try zlibDecompressor.decompress(input, into: output)
        case .libdeflate: try libdeflateDecompressor.decompress(input, into: output)
        }
    }
}

/// The inputs of ``DebugBenchCommand``, generated from fixed seeds.
private enum BenchData {
    /// The first `count` bytes of a file (all of it if shorter).
    static func prefix(of path: String, count: Int) throws -> [UInt8] {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw RepositoryError(.invalidRequest, "cannot read --deflate-file '\(path)'")
        }
        defer { try? file.close() }
        guard let data = try? file.read(upToCount: count), !data.isEmpty else {
            throw RepositoryError(.invalidRequest, "--deflate-file '\(path)' is empty or unreadable")
        }
        return Array(data)
    }

    /// `count` pseudo-random bytes (SplitMix64): incompressible, and the
    /// same on every run.
    static func random(count: Int) -> [UInt8] {
        var generator = SplitMix64(seed: 0x5EED_0F_5A17)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            while offset + 8 <= count {
                raw.storeBytes(of: generator.next().littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < count {
                raw[offset] = UInt8(truncatingIfNeeded: generator.next())
                offset += 1
            }
            initialized = count
        }
    }

    /// `count` bytes of text-like data: words from a fixed list (earlier
    /// words more often), some numbers and punctuation, lines of a few
    /// words. zlib shrinks it to about a third, much like prose or code.
    static func text(count: Int) -> [UInt8] {
        let words = vocabulary.split(separator: " ").map { Array($0.utf8) }
        let period = Array(".\n".utf8)
        let comma = Array(", ".utf8)
        let space: [UInt8] = [0x20]
        var generator = SplitMix64(seed: 0x7E47_11_4E)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = 0
            func put(_ bytes: [UInt8]) {
                for byte in bytes where offset < count {
                    buffer[offset] = byte
                    offset += 1
                }
            }
            while offset < count {
                let draw = generator.next()
                // The smaller of two uniform picks: a skew toward the list's start.
                let first = Int(draw & 0xFFFF) % words.count
                let second = Int((draw >> 16) & 0xFFFF) % words.count
                put(words[min(first, second)])
                if (draw >> 32) % 23 == 0 {
                    put(Array(" \((draw >> 40) % 100_000)".utf8))
                }
                switch (draw >> 48) % 13 {
                case 0: put(period)
                case 1: put(comma)
                default: put(space)
                }
            }
            initialized = count
        }
    }

    /// SplitMix64 (Steele, Lea and Flood, 2014): a fast, well-mixed
    /// deterministic generator; not for secrets.
    struct SplitMix64 {
        var state: UInt64

        init(seed: UInt64) {
            state = seed
        }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let vocabulary = """
        the of and to in a is that for it as was with be by on not he this are or his from at which \
        but have an they you were her she there one all we can their has been if more when will would \
        who so no out up into do than time only other new some could these two may first then any like \
        over such our after most also made many before must through back years where much your way well \
        down should because each just those people how too little state good very make world still own \
        see men work long get here between both life being under never day same another know while last \
        might us great old year off come since against go came right used take three repository backup \
        snapshot chunk index pack file directory tree blob key password restore verify mirror archive \
        function return struct let var import package throws error buffer bytes count offset length size \
        data value result string array table header version config default option command usage
        """
}
