#if canImport(Glibc)
import Glibc
#endif

/// Hints to the kernel about how memory will be used (`madvise`).
package enum MemoryAdvice {
    /// Asks the kernel to back the 2 MiB-aligned part of `buffer` with huge
    /// pages (a hint; without transparent huge pages it does nothing).
    package static func preferHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let hugePage = 2 << 20
        guard let base = buffer.baseAddress, buffer.count >= 2 * hugePage else { return }
        let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(hugePage - 1)
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_HUGEPAGE)
        #endif
    }
}
