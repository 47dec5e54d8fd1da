import VaultCodecs
import VaultPOSIX
import VaultRepository

/// Writes the contents of a restore's files and creates its other entries.
///
/// Each needed pack is read once, in large ranges (``RestorePackRead``),
/// packs ordered by the first file that needs them so that files complete
/// roughly in walk order. Child tasks read and decode ranges on every core;
/// the decoded chunks are handed to the ``RestoreLane``s owning the files
/// they go to, which create, write and finish those files, also in
/// parallel. Memory stays bounded by a byte budget that scales with the
/// cores (``RestoreInFlightBudget``): a range is read only when what it
/// costs (its stored bytes and its plaintexts) fits beside the ranges
/// being read and the decoded chunks the lanes have not written yet.
final class RestoreContentWriter {
    private var entries: [RestorePlan.Entry]
    private var emptyFiles: [Int] = []
    private let repository: Repository
    private let interrupt: InterruptFlag
    private let onProgress: (RestoreProgress) -> Void
    private let lanes: [RestoreLane]
    /// Which lane owns each file of the plan, and its index there.
    private let owners: [(lane: Int32, index: Int32)]
    /// Which lane makes each symbolic link and special file of the plan.
    private let entryLanes: [Int]
    private let maximumDecoding: Int
    /// The largest range read at once.
    private let maximumReadLength: Int64
    /// The longest range read, whatever the storage prefers.
    private static let largestRead = 4 << 20
    private var progress = RestoreProgress()
    private let started = Timestamp.now()
    private var lastReport: Int64 = 0

    /// What the child tasks hand back.
    private enum Event: Sendable {
        case decoded([RestorePackRead.Decoded], cost: Int)
        case laneDone(lane: Int, bytes: Int, filesFinished: Int)
    }

    /// Prepares the writing of a plan's files and entries, taking them
    /// (and its chunks) out of the plan so that they are not held twice.
    init(
        plan: inout RestorePlan, repository: Repository, directories: RestoreDirectories, metadata: RestoreMetadata,
        interrupt: InterruptFlag, maximumOpenFiles: Int = 512, inFlightBudget: Int? = nil,
        progress: @escaping (RestoreProgress) -> Void
    ) {
        let files = plan.files
        plan.files = []
        entries = plan.entries
        plan.entries = []
        chunks = plan.chunks
        plan.chunks = [:]
        self.repository = repository
        self.interrupt = interrupt
        self.onProgress = progress
        let count = max(1, ProcessorCount.count)
        let run = UInt64.random(in: 0...UInt64.max)
        var assignment = RestoreLaneAssignment(files: files, entries: entries, lanes: count)
        var owners: [(lane: Int32, index: Int32)] = []
        owners.reserveCapacity(files.count)
        var laneCounts = [Int](repeating: 0, count: count)
        for (index, file) in files.enumerated() {
            let lane = assignment.lane(for: file.directory, cost: 1 + Int(file.size >> 16))
            owners.append((Int32(lane), Int32(laneCounts[lane])))
            laneCounts[lane] += 1
            if file.remaining == 0 { emptyFiles.append(index) }
        }
        // Each lane's share, at its exact size: a restore of many files
        // holds each file's record once (and twice only here).
        var laneFiles = laneCounts.map { count -> [RestorePlan.File] in
            var share: [RestorePlan.File] = []
            share.reserveCapacity(count)
            return share
        }
        for (file, owner) in zip(files, owners) {
            laneFiles[Int(owner.lane)].append(file)
        }
        self.owners = owners
        self.entryLanes = entries.map { assignment.lane(for: $0.directory, cost: 1) }
        lanes = (0..<count).map { number in
            RestoreLane(
                number: number, files: laneFiles[number], directories: directories, run: run, metadata: metadata,
                maximumOpenFiles: maximumOpenFiles / count)
        }
        // Reads in flight: two a core, or as many as the storage serves at
        // once when that is more (an object store hides its latency behind
        // concurrent requests); the byte budget bounds them as well.
        maximumDecoding = max(2, 2 * count, repository.storage.capabilities.preferredConcurrency)
        // Ranges small enough that several fit in the budget at once, and no
        // smaller than the storage prefers (an object store: megabytes, since
        // every request costs a round trip); with such a storage the budget
        // grows to hold up to eight of them. (Whole 16 MiB packs from S3
        // were slower and doubled the peak: docs/benchmarks.md.)
        let capabilities = repository.storage.capabilities
        let preferredRead = min(capabilities.preferredReadSize, Self.largestRead)
        let budget = RestoreInFlightBudget(
            limit: inFlightBudget
                ?? max(RestoreInFlightBudget.standardLimit(processors: count), preferredRead * min(capabilities.preferredConcurrency, 8)))
        self.budget = budget
        maximumReadLength = Int64(min(Self.largestRead, max(256 << 10, budget.limit / 16, min(preferredRead, budget.limit / 4))))
        self.progress.filesTotal = files.count
        self.progress.bytesTotal = plan.bytesTotal
    }

    /// The file of the plan's `index`, with its final state.
    func file(_ index: Int) -> RestorePlan.File {
        let owner = owners[index]
        return lanes[Int(owner.lane)].files[Int(owner.index)]
    }

    /// The files written completely, in plan order.
    var completedFiles: [RestorePlan.File] {
        Array(owners.indices.lazy.map(file).filter { $0.state == .done })
    }

    /// What the lanes did, and the problems they met.
    var reports: [RestoreReport] { lanes.map(\.report) }

    /// The most bytes that were in flight at once (read, decoded, not yet
    /// written), as the budget counted them.
    var peakInFlightBytes: Int { budget.peak }

    /// The cost of the costliest single range read.
    private(set) var largestReadCost = 0

    private typealias Group = BoundedConcurrency.Group<Event>

    // The coordinator's state; only the task running `run()` touches it.
    private var queues: [[RestoreLaneWork]] = []
    private var queuedBytes: [Int] = []
    private var busy: [Bool] = []
    private var finished: [Int] = []
    private var budget: RestoreInFlightBudget
    private var reads: [RestorePackRead] = []
    private var chunks: [Digest256: RestorePlan.Chunk]
    private var nextRead = 0
    private var decoding = 0
    private var stopping = false

    /// Creates the entries and writes every file.
    ///
    /// - Throws: ``OperationError`` with code `.interrupted`; then no
    ///   temporary file is left behind. Problems with single files are
    ///   reported, not thrown.
    func run() async throws {
        let count = lanes.count
        queues = [[RestoreLaneWork]](repeating: [], count: count)
        queuedBytes = [Int](repeating: 0, count: count)
        busy = [Bool](repeating: false, count: count)
        finished = [Int](repeating: 0, count: count)
        for (entry, lane) in zip(entries, entryLanes) {
            queues[lane].append(.entry(entry))
        }
        entries = []
        for index in emptyFiles {
            queues[Int(owners[index].lane)].append(.emptyFile(Int(owners[index].index)))
        }
        emptyFiles = []
        reads = RestorePackRead.plan(&chunks, maximumLength: maximumReadLength)
        do {
            // The limit is informational here: the coordinator admits work
            // itself (a lane at a time, reads by the in-flight budget).
            try await BoundedConcurrency.withGroup(of: Event.self, limit: lanes.count + maximumDecoding) {
                (group: inout Group) async throws -> Void in
                try await coordinate(&group)
            }
        } catch {
            // Every child task has ended: the lanes are idle.
            for lane in lanes { lane.abandonUnfinished(reason: nil) }
            throw error
        }
        if stopping {
            for lane in lanes { lane.abandonUnfinished(reason: nil) }
            try interrupt.check()
        }
        for lane in lanes { lane.abandonUnfinished(reason: "not all of its contents could be read") }
        reportIfDue(force: true)
    }

    private func coordinate(_ group: inout Group) async throws {
        for number in lanes.indices { startLane(number, &group) }
        startReads(&group)
        while let event = await group.next() {
            switch event {
            case .decoded(let blobs, let cost):
                decoding -= 1
                // The range's stored bytes are gone; its plaintexts are
                // counted again, by lane, as they are queued.
                budget.give(cost)
                for blob in blobs { route(blob) }
            case .laneDone(let number, let bytes, let filesFinished):
                busy[number] = false
                finished[number] = filesFinished
                budget.give(bytes)
                progress.bytesDone += Int64(bytes)
            }
            if interrupt.isRaised {
                stopping = true
            }
            for number in lanes.indices { startLane(number, &group) }
            startReads(&group)
            progress.filesDone = finished.reduce(0, +)
            reportIfDue()
        }
    }

    /// Hands a lane everything queued for it, unless it is busy.
    private func startLane(_ number: Int, _ group: inout Group) {
        guard !busy[number], !queues[number].isEmpty, !stopping else { return }
        // A batch of about a quarter of the budget: its bytes count as in
        // flight until the whole batch is written, so smaller batches hand
        // room back to the readers sooner.
        let batchLimit = max(1, budget.limit / 4)
        var count = 0
        var bytes = 0
        for item in queues[number] {
            if case .chunk(let chunk, _, _) = item {
                if bytes > 0, bytes + chunk.count > batchLimit { break }
                bytes += chunk.count + RestoreInFlightBudget.overheadPerChunk
            }
            count += 1
        }
        let work: [RestoreLaneWork]
        if count == queues[number].count {
            work = queues[number]
            queues[number] = []
        } else {
            work = Array(queues[number][..<count])
            queues[number].removeFirst(count)
        }
        queuedBytes[number] -= bytes
        busy[number] = true
        let lane = lanes[number]
        let batchBytes = bytes
        group.start {
            lane.perform(work)
            return .laneDone(lane: number, bytes: batchBytes, filesFinished: lane.filesFinished)
        }
    }

    /// Starts reading ranges while there is room.
    private func startReads(_ group: inout Group) {
        let repository = self.repository
        while !stopping, decoding < maximumDecoding, nextRead < reads.count {
            let read = reads[nextRead]
            let cost = read.cost
            guard budget.admits(cost) else { return }
            budget.take(cost)
            largestReadCost = max(largestReadCost, cost)
            // What is read no longer needs its entry here.
            reads[nextRead].blobs = []
            nextRead += 1
            decoding += 1
            group.start { .decoded(await read.decode(from: repository), cost: cost) }
        }
    }

    /// Queues a decoded chunk for the lanes owning the files it goes to.
    private func route(_ blob: RestorePackRead.Decoded) {
        let count = lanes.count
        var byLane = [[RestorePlan.Placement]](repeating: [], count: count)
        for placement in blob.placements {
            let owner = owners[Int(placement.file)]
            byLane[Int(owner.lane)].append(RestorePlan.Placement(file: owner.index, offset: placement.offset))
        }
        for (number, placements) in byLane.enumerated() where !placements.isEmpty {
            switch blob.result {
            case .success(let bytes):
                queues[number].append(.chunk(bytes: bytes, isAllZero: blob.isAllZero, placements: placements))
                // Lanes sharing a chunk share its bytes: counting it once
                // a lane errs on the safe side.
                let held = bytes.count + RestoreInFlightBudget.overheadPerChunk
                queuedBytes[number] += held
                budget.take(held)
            case .failure(let error):
                queues[number].append(.unreadableChunk(reason: error.message, placements: placements))
            }
        }
    }

    private func reportIfDue(force: Bool = false) {
        let now = Timestamp.now().nanoseconds
        guard force || now - lastReport >= 100_000_000 else { return }
        lastReport = now
        progress.elapsedNanoseconds = now - started.nanoseconds
        onProgress(progress)
    }
}

/// Decides which lane writes each entry.
///
/// Creating entries in one directory takes that directory's lock, so two
/// lanes working in one directory mostly wait for each other: the entries
/// of a directory go to one lane, the lane with the least work so far
/// (counting a file as one unit plus one per 64 KiB). A large directory
/// would keep one lane busy while the others idle; its entries are dealt
/// to the lanes in turn, which still lets the work outside the lock
/// (writing, metadata) run in parallel.
struct RestoreLaneAssignment {
    /// Directories with more entries than this are shared by the lanes.
    static let largeDirectory = 256

    private var lanes: [Int: Int] = [:]
    private var costs: [Int]
    private let large: Set<Int>
    private var turn = 0

    /// Prepares the assignment of a plan's entries to `count` lanes.
    init(_ plan: RestorePlan, lanes count: Int) {
        self.init(files: plan.files, entries: plan.entries, lanes: count)
    }

    /// Prepares the assignment of a plan's files and entries to `count` lanes.
    init(files: [RestorePlan.File], entries planEntries: [RestorePlan.Entry], lanes count: Int) {
        costs = [Int](repeating: 0, count: count)
        var entries: [Int: Int] = [:]
        for file in files { entries[file.directory, default: 0] += 1 }
        for entry in planEntries { entries[entry.directory, default: 0] += 1 }
        large = Set(entries.filter { $0.value > Self.largeDirectory }.keys)
    }

    /// The lane for an entry in `directory` that costs `cost` units.
    mutating func lane(for directory: Int, cost: Int) -> Int {
        let lane: Int
        if large.contains(directory) {
            lane = turn
            turn = (turn + 1) % costs.count
        } else if let known = lanes[directory] {
            lane = known
        } else {
            lane = costs.indices.min { costs[$0] < costs[$1] }!
            lanes[directory] = lane
        }
        costs[lane] += cost
        return lane
    }
}
