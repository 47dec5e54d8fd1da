import Testing
import VaultPOSIX

@Suite("VaultPOSIX: calendar time, process identity, thread-local slots")
struct PlatformLayerTests {
    @Test("UTC calendar times round-trip through timegm and gmtime_r", arguments: [
        (Int64(0), CalendarTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0)),
        (Int64(951_782_400), CalendarTime(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0)),
        (Int64(1_795_942_923), CalendarTime(year: 2026, month: 11, day: 29, hour: 9, minute: 2, second: 3)),
        (Int64(-9_223_372_036), CalendarTime(year: 1677, month: 9, day: 21, hour: 0, minute: 12, second: 44)),
    ])
    func utcRoundTrip(seconds: Int64, expected: CalendarTime) {
        #expect(CalendarTime(secondsSinceEpoch: seconds, in: .utc) == expected)
        #expect(FileTime(seconds: seconds, nanoseconds: 0).calendarTimeUTC == expected)
        #expect(expected.secondsSinceEpochUTC == seconds)
    }

    @Test("a field that does not fit the C library's int gives nil, not a trap")
    func fieldOutOfRange() {
        let time = CalendarTime(year: Int.max, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        #expect(time.secondsSinceEpochUTC == nil)
        #expect(CalendarTime(secondsSinceEpoch: .max, in: .utc) == nil)
    }

    @Test("this process exists; pid 0 and negative IDs never count as gone")
    func processExistence() {
        #expect(!ProcessIdentity.isGone(ProcessIdentity.processID))
        #expect(!ProcessIdentity.isGone(0))
        #expect(!ProcessIdentity.isGone(-1))
        #expect(!ProcessIdentity.hostName.isEmpty)
    }

    @Test("a thread-local slot is empty until this thread stores a value")
    func threadLocalSlot() {
        let slot = ThreadLocalSlot { pointer in pointer?.deallocate() }
        #expect(slot.value == nil)
        let mine = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        slot.store(mine)
        #expect(slot.value == mine)
    }
}
