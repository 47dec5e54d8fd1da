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
/// parallel. Memory stays bounded: reads start only while the chunks
/// waiting for the lanes stay under ``maximumHeldBytes``.
final class RestoreContentWriter {
    private let plan: RestorePlan
    private let repository: Repository
    private let interrupt: InterruptFlag
    private let onProgress: (RestoreProgress) -> Void
    private let lanes: [RestoreLane]
    /// Which lane owns each file of the plan, and its index there.
    private let owners: [(lane: Int32, index: Int32)]
    /// Which lane makes each symbolic link and special file of the plan.
    private let entryLanes: [Int]
    private let maximumDecoding: Int
    private var progress = RestoreProgress()
    private let started = Timestamp.now()
    private var lastReport: Int64 = 0

    /// Decoded bytes waiting for (or being written by) the lanes, beyond
    /// which no further range is read.
    static let maximumHeldBytes = 32 << 20

    /// What the child tasks hand back.
    private enum Event: Sendable {
        case decoded([RestorePackRead.Decoded])
        case laneDone(lane: Int, bytes: Int, filesFinished: Int)
    }

    init(
        plan: RestorePlan, repository: Repository, directories: RestoreDirectories, metadata: RestoreMetadata,
        interrupt: InterruptFlag, maximumOpenFiles: Int = 512, progress: @escaping (RestoreProgress) -> Void
    ) {
        self.plan = plan
        self.repository = repository
        self.interrupt = interrupt
        self.onProgress = progress
        let count = max(1, ProcessorCount.count)
        let run = UInt64.random(in: 0...UInt64.max)
        var assignment = RestoreLaneAssignment(plan, lanes: count)
        var laneFiles = [[RestorePlan.File]](repeating: [], count: count)
        var owners: [(lane: Int32, index: Int32)] = []
        owners.reserveCapacity(plan.files.count)
        for file in plan.files {
            let lane = assignment.lane(for: file.directory, cost: 1 + Int(file.size >> 16))
            owners.append((Int32(lane), Int32(laneFiles[lane].count)))
            laneFiles[lane].append(file)
        }
        self.owners = owners
        self.entryLanes = plan.entries.map { assignment.lane(for: $0.directory, cost: 1) }
        lanes = (0..<count).map { number in
            RestoreLane(
                number: number, files: laneFiles[number], directories: directories, run: run, metadata: metadata,
                maximumOpenFiles: maximumOpenFiles / count)
        }
        maximumDecoding = max(2, 2 * count)
        self.progress.filesTotal = plan.files.count
        self.progress.bytesTotal = plan.bytesTotal
    }

    /// The files, in plan order, with their final state.
    var files: [RestorePlan.File] {
        owners.map { lanes[Int($0.lane)].files[Int($0.index)] }
    }

    /// What the lanes did, and the problems they met.
    var reports: [RestoreReport] { lanes.map(\.report) }

    private typealias Group = ThrowingTaskGroup<Event, any Error>

    // The coordinator's state; only the task running `run()` touches it.
    private var queues: [[RestoreLaneWork]] = []
    private var queuedBytes: [Int] = []
    private var busy: [Bool] = []
    private var finished: [Int] = []
    private var heldBytes = 0
    private var reads: [RestorePackRead] = []
    private var chunks: [Digest256: RestorePlan.Chunk] = [:]
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
        for (entry, lane) in zip(plan.entries, entryLanes) {
            queues[lane].append(.entry(entry))
        }
        for (index, file) in plan.files.enumerated() where file.remaining == 0 {
            queues[Int(owners[index].lane)].append(.emptyFile(Int(owners[index].index)))
        }
        reads = RestorePackRead.plan(plan.chunks.map { (id: $0.key, location: $0.value.location, firstFile: $0.value.placements[0].file) })
        chunks = plan.chunks
        do {
            try await withThrowingTaskGroup(of: Event.self) { group in
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
        while let event = try await group.next() {
            switch event {
            case .decoded(let blobs):
                decoding -= 1
                for blob in blobs { route(blob) }
            case .laneDone(let number, let bytes, let filesFinished):
                busy[number] = false
                finished[number] = filesFinished
                heldBytes -= bytes
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
        let work = queues[number]
        let bytes = queuedBytes[number]
        queues[number] = []
        queuedBytes[number] = 0
        busy[number] = true
        let lane = lanes[number]
        group.addTask {
            lane.perform(work)
            return .laneDone(lane: number, bytes: bytes, filesFinished: lane.filesFinished)
        }
    }

    /// Starts reading ranges while there is room.
    private func startReads(_ group: inout Group) {
        let repository = self.repository
        while !stopping, decoding < maximumDecoding, nextRead < reads.count, heldBytes < Self.maximumHeldBytes {
            let read = reads[nextRead]
            nextRead += 1
            decoding += 1
            group.addTask { .decoded(await read.decode(from: repository)) }
        }
    }

    /// Queues a decoded chunk for the lanes owning the files it goes to.
    private func route(_ blob: RestorePackRead.Decoded) {
        guard let chunk = chunks.removeValue(forKey: blob.id) else { return }
        let count = lanes.count
        var byLane = [[RestorePlan.Placement]](repeating: [], count: count)
        for placement in chunk.placements {
            let owner = owners[Int(placement.file)]
            byLane[Int(owner.lane)].append(RestorePlan.Placement(file: owner.index, offset: placement.offset))
        }
        for (number, placements) in byLane.enumerated() where !placements.isEmpty {
            switch blob.result {
            case .success(let bytes):
                queues[number].append(.chunk(bytes: bytes, isAllZero: blob.isAllZero, placements: placements))
                let held = bytes.count * placements.count
                queuedBytes[number] += held
                heldBytes += held
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
        costs = [Int](repeating: 0, count: count)
        var entries: [Int: Int] = [:]
        for file in plan.files { entries[file.directory, default: 0] += 1 }
        for entry in plan.entries { entries[entry.directory, default: 0] += 1 }
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
