import VaultCodecs
import VaultRepository
import VaultStorage

/// `vault mirror`: makes a second location an exact, complete copy of a
/// repository, copying only what it lacks and checking every object by its
/// name on the way.
///
/// The mirror needs no keys: every object but `config` is named by the
/// SHA-256 of its bytes, so each copy is checked against its name, and
/// `config` must be byte-identical. Objects go in an order that keeps the
/// destination a consistent repository at every instant: keys and config
/// first, then packs, then index files, then snapshots; deletions (only
/// with ``Options/delete``) go the other way.
///
/// Locks (``Repository/withLock(_:timing:_:)``): the source is locked as
/// ``Options/sourceLock`` says (shared by default); the destination gets a
/// shared lock while objects are copied, an exclusive one with
/// ``Options/delete``, and none in a dry run (which writes nothing).
package struct RepositoryMirror: Sendable {
    /// How to mirror.
    package struct Options: Sendable {
        /// Remove objects the source no longer has (forgotten snapshots, pruned packs).
        package var delete = false
        /// Only report what would be copied and removed.
        package var dryRun = false
        /// How many objects are copied at once.
        package var parallelism = 4
        /// The lock taken on the source.
        package var sourceLock: LockPolicy = .shared

        /// The defaults: copy only, four at a time.
        package init() {}
    }

    /// What a mirror run did (or, with ``Options/dryRun``, would do).
    package struct Summary: Sendable, Equatable {
        /// Objects copied, per kind.
        package var copied: [ObjectKind: Int] = [:]
        /// Bytes copied.
        package var bytesCopied: Int64 = 0
        /// Objects removed from the destination, per kind.
        package var deleted: [ObjectKind: Int] = [:]
        /// Destination objects that differed from the source and were replaced.
        package var replaced: [ObjectName] = []
        /// Destination objects that differed from the source and could not
        /// be replaced (removing the old copy failed), and why.
        package var notReplaced: [ObjectName: String] = [:]
        /// Source objects not copied because they do not match their names.
        package var damagedInSource: [ObjectName] = []
        /// Objects already present in both.
        package var unchanged = 0
        /// Objects only the destination has, per kind, left in place
        /// because ``Options/delete`` was not given.
        package var extra: [ObjectKind: Int] = [:]

        /// An empty summary.
        package init() {}

        /// Objects copied, all kinds.
        package var totalCopied: Int { copied.values.reduce(0, +) }
        /// Objects removed, all kinds.
        package var totalDeleted: Int { deleted.values.reduce(0, +) }
        /// Objects only the destination has and that were left, all kinds.
        package var totalExtra: Int { extra.values.reduce(0, +) }
    }

    /// Progress of a mirror run.
    package struct Progress: Sendable {
        /// Objects copied so far.
        package var objects = 0
        /// Objects to copy in all.
        package var totalObjects = 0
        /// Bytes copied so far.
        package var bytes: Int64 = 0
        /// Bytes to copy in all.
        package var totalBytes: Int64 = 0
    }

    /// The repository.
    package var source: Repository
    /// The mirror's storage.
    package var destination: any Storage
    /// How to mirror.
    package var options: Options
    /// Raised by Ctrl-C or SIGTERM.
    package var interrupt: InterruptFlag
    /// Called after each object.
    package var progress: @Sendable (Progress) -> Void

    /// Creates a mirror operation.
    package init(
        source: Repository, destination: any Storage, options: Options = Options(), interrupt: InterruptFlag = InterruptFlag(),
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) {
        self.source = source
        self.destination = destination
        self.options = options
        self.interrupt = interrupt
        self.progress = progress
    }

    /// The kinds in the order they are copied; deletion uses the reverse.
    static let copyOrder: [ObjectKind] = [.keys, .config, .data, .index, .snapshots]

    /// Mirrors the source to the destination.
    ///
    /// - Parameter beforeDeleting: Called before anything is removed from
    ///   the destination; it must throw unless the source passed a
    ///   structural verify (so a damaged source never erases a good mirror).
    /// - Throws: ``OperationError`` (`.targetFailed` when the destination
    ///   holds another repository or snapshots the source lacks,
    ///   `.interrupted`), ``RepositoryError``.
    package func run(beforeDeleting: @escaping @Sendable () async throws -> Void = {}) async throws -> Summary {
        // Checked before the destination is locked: a lock is not written into another repository.
        _ = try await checkedConfigs()
        let destinationLock: LockPolicy = options.dryRun ? .none : options.delete ? .exclusive : .shared
        return try await source.withLock(options.sourceLock) {
            try await source.withLock(destinationLock, on: destination) {
                try await mirror(beforeDeleting: beforeDeleting)
            }
        }
    }

    /// The source's config, and the destination's when it has one; throws
    /// when the destination holds another repository.
    private func checkedConfigs() async throws -> (source: [UInt8], destination: [UInt8]?) {
        let storage = source.storage
        let sourceConfig = try await Self.call { () async throws(StorageError) in try await storage.get(.config) }
        let destinationConfig = try await Self.getIfPresent(destination, .config)
        if let destinationConfig, destinationConfig != sourceConfig {
            throw OperationError(.targetFailed, "\(destination.location) holds a different repository: refusing to mirror onto it")
        }
        return (sourceConfig, destinationConfig)
    }

    private func mirror(beforeDeleting: () async throws -> Void) async throws -> Summary {
        var summary = Summary()
        let (sourceConfig, destinationConfig) = try await checkedConfigs()
        let source = self.source.storage

        var sourceObjects: [ObjectKind: [ObjectName: Int64]] = [:]
        var destinationObjects: [ObjectKind: [ObjectName: Int64]] = [:]
        for kind in ObjectKind.allCases where kind != .config && kind != .locks {
            sourceObjects[kind] = try await Self.listing(source, kind)
            destinationObjects[kind] = try await Self.listing(destination, kind)
        }

        let unknownSnapshots = destinationObjects[.snapshots, default: [:]].keys.filter { sourceObjects[.snapshots]?[$0] == nil }
        if !unknownSnapshots.isEmpty, !options.delete {
            throw OperationError(
                .targetFailed,
                "\(destination.location) holds \(unknownSnapshots.count) snapshot\(unknownSnapshots.count == 1 ? "" : "s") the source does not know "
                    + "(\(unknownSnapshots.sorted().prefix(3).map { String($0.name.prefix(8)) }.joined(separator: ", "))): refusing to mirror; "
                    + "back them up into the source, or pass --delete to remove them from the mirror"
            )
        }

        // What to copy, in order.
        var plan: [(name: ObjectName, size: Int64)] = []
        var differing: Set<ObjectName> = []
        for kind in Self.copyOrder {
            if kind == .config {
                if destinationConfig == nil { plan.append((.config, Int64(sourceConfig.count))) }
                continue
            }
            for (objectName, size) in sourceObjects[kind, default: [:]].sorted(by: { $0.key < $1.key }) {
                if let existing = destinationObjects[kind]?[objectName] {
                    if existing == size {
                        summary.unchanged += 1
                        continue
                    }
                    differing.insert(objectName)
                }
                plan.append((objectName, size))
            }
        }

        var progressState = Progress()
        progressState.totalObjects = plan.count
        progressState.totalBytes = plan.reduce(0) { $0 + $1.size }
        if !options.dryRun {
            // Each kind completes before the next starts: that is what keeps the mirror consistent.
            for kind in Self.copyOrder {
                let batch = plan.filter { $0.name.kind == kind }
                try await copy(batch, replacing: differing, summary: &summary, progress: &progressState)
            }
        } else {
            for (name, size) in plan {
                summary.copied[name.kind, default: 0] += 1
                summary.bytesCopied += size
            }
            summary.replaced = differing.sorted()
        }

        var removals: [ObjectName] = []
        for kind in Self.copyOrder.reversed() where kind != .config {
            for name in destinationObjects[kind, default: [:]].keys.sorted() where sourceObjects[kind]?[name] == nil {
                removals.append(name)
            }
        }
        if !options.delete {
            for name in removals {
                summary.extra[name.kind, default: 0] += 1
            }
        } else {
            if !removals.isEmpty {
                try await beforeDeleting()
                for name in removals {
                    try interrupt.check()
                    if !options.dryRun {
                        try await Self.deleteIfPresent(destination, name)
                    }
                    summary.deleted[name.kind, default: 0] += 1
                }
            }
        }
        return summary
    }

    /// What copying one object came to.
    private enum CopyOutcome: Sendable {
        /// Copied (or replaced, when it differed).
        case copied
        /// The source's copy does not match its name: not copied.
        case damagedInSource
        /// It differed in the destination, and the old copy could not be removed.
        case notReplaced(String)
    }

    /// Copies objects of one kind, several at a time, each checked against its name.
    ///
    /// - Parameter replacing: Objects that differ in the destination: each
    ///   is removed there first, and counts as copied only when that worked.
    private func copy(
        _ batch: [(name: ObjectName, size: Int64)], replacing: Set<ObjectName>, summary: inout Summary, progress state: inout Progress
    ) async throws {
        guard !batch.isEmpty else { return }
        typealias Copied = (name: ObjectName, result: Result<(size: Int64, outcome: CopyOutcome), any Error>)
        var next = 0
        let source = self.source.storage
        let destination = self.destination
        // An object store wants more requests in flight than a disk.
        let parallelism = max(options.parallelism, min(source.capabilities.preferredConcurrency, destination.capabilities.preferredConcurrency))
        try await BoundedConcurrency.run(limit: parallelism) { () throws(any Error) -> (@Sendable () async -> Copied)? in
            guard next < batch.count else { return nil }
            let (name, _) = batch[next]
            next += 1
            let isReplacing = replacing.contains(name)
            return {
                do {
                    let bytes = try await Self.call { () async throws(StorageError) in try await source.get(name) }
                    let outcome = try await Self.store(bytes, as: name, in: destination, replacing: isReplacing)
                    return (name, .success((Int64(bytes.count), outcome)))
                } catch {
                    return (name, .failure(error))
                }
            }
        } collect: { (copied: Copied) throws(any Error) -> BoundedConcurrency.Decision in
            let name = copied.name
            let (size, outcome) = try copied.result.get()
            switch outcome {
            case .copied:
                summary.copied[name.kind, default: 0] += 1
                summary.bytesCopied += size
                if replacing.contains(name) {
                    summary.replaced.append(name)
                }
            case .damagedInSource:
                summary.damagedInSource.append(name)
            case .notReplaced(let reason):
                summary.notReplaced[name] = reason
            }
            state.objects += 1
            state.bytes += size
            progress(state)
            return interrupt.isRaised ? .stopStarting : .proceed
        }
        try interrupt.check()
        summary.replaced.sort()
    }

    /// Stores one object read from the source, after checking it against its name.
    private static func store(
        _ bytes: [UInt8], as name: ObjectName, in destination: any Storage, replacing: Bool
    ) async throws(RepositoryError) -> CopyOutcome {
        guard name.kind == .config || SHA256Hasher.hash(bytes).hex == name.name else {
            return .damagedInSource
        }
        if replacing {
            do throws(StorageError) {
                try await destination.delete(name)
            } catch where error.code == .notFound {
                // Gone meanwhile: nothing to remove.
            } catch {
                return .notReplaced(error.message)
            }
        }
        do throws(StorageError) {
            try await destination.put(bytes, as: name)
        } catch where error.code == .alreadyExists && !replacing {
            // Another run put it there meanwhile; it is checked by name like ours.
        } catch {
            throw RepositoryError(error)
        }
        return .copied
    }

    /// Replaces destination objects with the source's copies, each checked
    /// against its name first: what `vault mirror --verify` does with the
    /// objects a verify of the destination found damaged or missing.
    ///
    /// Takes the source lock and an exclusive lock on the destination.
    ///
    /// - Parameter names: The objects to replace.
    /// - Returns: The objects replaced, and those that could not be, with why.
    package func replace(_ names: [ObjectName]) async throws -> (replaced: [ObjectName], failed: [ObjectName: String]) {
        let source = self.source
        let destination = self.destination
        let ordered = Set(names).sorted { left, right in
            let order = Self.copyOrder
            return (order.firstIndex(of: left.kind) ?? 0, left.name) < (order.firstIndex(of: right.kind) ?? 0, right.name)
        }
        return try await source.withLock(options.sourceLock) {
            try await source.withLock(.exclusive, on: destination) {
                var replaced: [ObjectName] = []
                var failed: [ObjectName: String] = [:]
                for name in ordered {
                    try RepositoryLock.checkCancellation()
                    let bytes: [UInt8]
                    switch await Self.read(name, from: source.storage) {
                    case .success(let read):
                        bytes = read
                    case .failure(let error):
                        failed[name] = error.code == .notFound ? "the source does not have it" : "the source's copy cannot be read: \(error.message)"
                        continue
                    }
                    switch try await Self.store(bytes, as: name, in: destination, replacing: true) {
                    case .copied: replaced.append(name)
                    case .damagedInSource: failed[name] = "the source's copy is damaged too"
                    case .notReplaced(let reason): failed[name] = reason
                    }
                }
                return (replaced, failed)
            }
        }
    }

    private static func read(_ name: ObjectName, from storage: any Storage) async -> Result<[UInt8], StorageError> {
        do throws(StorageError) {
            return .success(try await storage.get(name))
        } catch {
            return .failure(error)
        }
    }

    /// The objects a verify report names as damaged or missing.
    package static func damagedObjects(in report: VerifyReport) -> [ObjectName] {
        RepositoryRepair.damagedObjects(in: report)
    }

    private static func getIfPresent(_ storage: any Storage, _ name: ObjectName) async throws(RepositoryError) -> [UInt8]? {
        do {
            return try await storage.get(name)
        } catch where error.code == .notFound {
            return nil
        } catch {
            throw RepositoryError(error)
        }
    }

    private static func deleteIfPresent(_ storage: any Storage, _ name: ObjectName) async throws(RepositoryError) {
        do {
            try await storage.delete(name)
        } catch where error.code == .notFound {
            // Already gone.
        } catch {
            throw RepositoryError(error)
        }
    }

    private static func listing(_ storage: any Storage, _ kind: ObjectKind) async throws(RepositoryError) -> [ObjectName: Int64] {
        let objects = try await call { () async throws(StorageError) in try await storage.listAll(kind) }
        return Dictionary(objects.map { ($0.name, $0.size) }, uniquingKeysWith: { first, _ in first })
    }

    static func call<T>(_ body: () async throws(StorageError) -> T) async throws(RepositoryError) -> T {
        do {
            return try await body()
        } catch {
            throw RepositoryError(error)
        }
    }
}
