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
    /// Setting the threshold also stops glibc from adapting its trim
    /// threshold, which then stays at 128 KiB: each time the free memory at
    /// the top of a heap passes that, glibc hands it back, and the next
    /// chunk copies fault it in again. So the trim threshold is set too,
    /// to `keepFree` bytes (unless `MALLOC_TRIM_THRESHOLD_` is set): 16 MiB
    /// took a first backup of 1.85 GiB from about 3.0 to 2.4 s of system
    /// CPU for about 8 MiB more peak RSS (docs/benchmarks.md).
    ///
    /// - Parameters:
    ///   - threshold: The size in bytes from which blocks are mapped.
    ///   - keepFree: The free bytes a heap keeps at its top before it
    ///     returns memory to the system.
    package static func mapLargeBlocks(from threshold: Int32 = 2 << 20, keepFree: Int32 = 16 << 20) {
        #if canImport(Glibc)
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil {
            _ = mallopt(vault_m_mmap_threshold, threshold)
        }
        if getenv("MALLOC_TRIM_THRESHOLD_") == nil {
            _ = mallopt(vault_m_trim_threshold, keepFree)
        }
        #endif
    }
}
