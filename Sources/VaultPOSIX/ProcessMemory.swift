#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShims

/// Process-wide settings of the C allocator.
package enum ProcessMemory {
    /// Caps glibc's malloc arenas, unless `MALLOC_ARENA_MAX` is set.
    ///
    /// glibc gives each thread that allocates concurrently an arena of its
    /// own (up to 8 per core) and returns little of it to the system, so a
    /// pipeline whose tasks hop between threads keeps several copies of its
    /// peak. Two arenas serve vault's few busy threads at no measurable
    /// CPU cost and lower its peak RSS (docs/benchmarks.md). Call it first
    /// thing, before other threads start.
    ///
    /// - Parameter count: The number of arenas.
    package static func limitArenas(to count: Int32 = 2) {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        _ = mallopt(vault_m_arena_max, count)
        #endif
    }

    /// Serves every allocation of `threshold` bytes or more with its own
    /// mapping, returned to the system when freed, unless
    /// `MALLOC_MMAP_THRESHOLD_` is set.
    ///
    /// glibc raises its threshold to the size of the largest such block
    /// freed (up to 32 MiB), after which chunk copies, stored blobs and
    /// decoded chunks — megabytes each, allocated on one thread and freed
    /// on another — all come from the heap, which fragments and keeps its
    /// peak. A fixed threshold took a first backup of 190 MB from about
    /// 104–113 to 80–85 MiB peak RSS; at 1 MiB it cost about 0.35 s more CPU
    /// (page faults on chunk copies), at 2 MiB (most chunks below it) about
    /// 0.05 s (docs/benchmarks.md). A restore's peak (its live decoded
    /// chunks) did not move, so only `vault backup` calls it, before the
    /// blocks it should govern are allocated.
    ///
    /// - Parameter threshold: The size in bytes from which blocks are mapped.
    package static func mapLargeBlocks(from threshold: Int32 = 2 << 20) {
        #if canImport(Glibc)
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return }
        _ = mallopt(vault_m_mmap_threshold, threshold)
        #endif
    }
}
