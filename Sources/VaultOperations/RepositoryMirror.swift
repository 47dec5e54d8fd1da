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
package struct RepositoryMirror {
    /// How to mirror.
    package struct Options: Sendable {
        /// Remove objects the source no longer has (forgotten snapshots, pruned packs).
        package var delete = false
        /// Only report what would be copied and removed.
        package var dryRun = false
        /// How many objects are copied at once.
        package var parallelism = 4

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

    /// The repository's storage.
    package var source: any Storage
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
        source: any Storage, destination: any Storage, options: Options = Options(), interrupt: InterruptFlag = InterruptFlag(),
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
    package func run(beforeDeleting: () async throws -> Void = {}) async throws -> Summary {
        var summary = Summary()
        let sourceConfig = try await Self.call { () async throws(StorageError) in try await source.get(.config) }
        let destinationConfig = try await Self.getIfPresent(destination, .config)
        if let destinationConfig, destinationConfig != sourceConfig {
            throw OperationError(.targetFailed, "\(destination.location) holds a different repository: refusing to mirror onto it")
        }

        var sourceObjects: [ObjectKind: [String: Int64]] = [:]
        var destinationObjects: [ObjectKind: [String: Int64]] = [:]
        for kind in ObjectKind.allCases where kind != .config && kind != .locks {
            sourceObjects[kind] = try await Self.listing(source, kind)
            destinationObjects[kind] = try await Self.listing(destination, kind)
        }

        let unknownSnapshots = destinationObjects[.snapshots, default: [:]].keys.filter { sourceObjects[.snapshots]?[$0] == nil }
        if !unknownSnapshots.isEmpty, !options.delete {
            throw OperationError(
                .targetFailed,
                "\(destination.location) holds \(unknownSnapshots.count) snapshot\(unknownSnapshots.count == 1 ? "" : "s") the source does not know "
                    + "(\(unknownSnapshots.sorted().prefix(3).map { String($0.prefix(8)) }.joined(separator: ", "))): refusing to mirror; "
                    + "back them up into the source, or pass --delete to remove them from the mirror"
            )
        }

        // What to copy, in order.
        var plan: [(name: ObjectName, size: Int64)] = []
        for kind in Self.copyOrder {
            if kind == .config {
                if destinationConfig == nil { plan.append((.config, Int64(sourceConfig.count))) }
                continue
            }
            for (name, size) in sourceObjects[kind, default: [:]].sorted(by: { $0.key < $1.key }) {
                let objectName = try! ObjectName(kind: kind, name: name)
                if let existing = destinationObjects[kind]?[name] {
                    if existing == size {
                        summary.unchanged += 1
                        continue
                    }
                    summary.replaced.append(objectName)
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
                try await copy(batch, summary: &summary, progress: &progressState)
            }
        } else {
            for (name, size) in plan {
                summary.copied[name.kind, default: 0] += 1
                summary.bytesCopied += size
            }
        }

        var removals: [ObjectName] = []
        for kind in Self.copyOrder.reversed() where kind != .config {
            for name in destinationObjects[kind, default: [:]].keys.sorted() where sourceObjects[kind]?[name] == nil {
                removals.append(try! ObjectName(kind: kind, name: name))
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

    /// Copies objects of one kind, several at a time, each checked against its name.
    private func copy(_ batch: [(name: ObjectName, size: Int64)], summary: inout Summary, progress state: inout Progress) async throws {
        guard !batch.isEmpty else { return }
        try await withThrowingTaskGroup(of: (ObjectName, Int64, Bool).self) { group in
            var next = 0
            func start(_ group: inout ThrowingTaskGroup<(ObjectName, Int64, Bool), any Error>) {
                let (name, _) = batch[next]
                next += 1
                let source = self.source
                let destination = self.destination
                let replacing = summary.replaced.contains(name)
                group.addTask {
                    let bytes = try await Self.call { () async throws(StorageError) in try await source.get(name) }
                    guard name.kind == .config || SHA256Hasher.hash(bytes).hex == name.name else {
                        return (name, Int64(bytes.count), false)
                    }
                    if replacing {
                        try? await destination.delete(name)
                    }
                    do throws(StorageError) {
                        try await destination.put(bytes, as: name)
                    } catch where error.code == .alreadyExists {
                        // Another run put it there meanwhile; it is checked by name like ours.
                    } catch {
                        throw RepositoryError(error)
                    }
                    return (name, Int64(bytes.count), true)
                }
            }
            // An object store wants more requests in flight than a disk.
            let parallelism = max(options.parallelism, min(source.capabilities.preferredConcurrency, destination.capabilities.preferredConcurrency))
            while next < batch.count, next < parallelism {
                start(&group)
            }
            while let (name, size, copied) = try await group.next() {
                if copied {
                    summary.copied[name.kind, default: 0] += 1
                    summary.bytesCopied += size
                } else {
                    summary.damagedInSource.append(name)
                }
                state.objects += 1
                state.bytes += size
                progress(state)
                if interrupt.isRaised {
                    group.cancelAll()
                    continue
                }
                if next < batch.count {
                    start(&group)
                }
            }
            try interrupt.check()
        }
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

    private static func listing(_ storage: any Storage, _ kind: ObjectKind) async throws(RepositoryError) -> [String: Int64] {
        let objects = try await call { () async throws(StorageError) in try await storage.listAllObjects(kind) }
        return Dictionary(objects.map { ($0.name.name, $0.size) }, uniquingKeysWith: { first, _ in first })
    }

    static func call<T>(_ body: () async throws(StorageError) -> T) async throws(RepositoryError) -> T {
        do {
            return try await body()
        } catch {
            throw RepositoryError(error)
        }
    }
}
