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
}
