import Glibc
import Testing
import VaultPOSIX

/// File times as a hostile or odd file system may report them.
@Suite("VaultPOSIX: file times at the edges")
struct FileTimeEdgeTests {
    @Test("tv_nsec outside 0 ..< 10^9 is clamped, not trapped on", arguments: [
        (4_000_000_000, 999_999_999), (-5, 0), (1_000_000_000, 999_999_999), (123, 123),
    ])
    func nanosecondsClamped(reported: Int, kept: Int32) {
        #expect(FileTime(timespec(tv_sec: 7, tv_nsec: reported)) == FileTime(seconds: 7, nanoseconds: kept))
    }

    @Test("64-bit seconds far outside 1677-2262 are kept as they are")
    func secondsKept() {
        #expect(FileTime(timespec(tv_sec: -30_610_224_000, tv_nsec: 0)).seconds == -30_610_224_000)
        #expect(FileTime(timespec(tv_sec: .max, tv_nsec: 0)).seconds == Int64.max)
    }
}
