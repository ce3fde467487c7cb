#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Calendar time (`CLOCK_REALTIME`), for timestamps people read. Use
/// `MonotonicInstant` to measure intervals.
public struct WallClock: Sendable, Comparable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// Nanoseconds within the second.
    public let nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The instant `milliseconds` after the epoch.
    public init(milliseconds: Int64) {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        self.init(
            seconds: remainder < 0 ? quotient - 1 : quotient,
            nanoseconds: Int32((remainder < 0 ? remainder + 1000 : remainder) * 1_000_000)
        )
    }

    /// Parses RFC 3339 in UTC as `iso8601` writes it
    /// (`2026-11-25T03:04:05.678Z`, the fraction optional); nil otherwise.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
            bytes.last == 0x5A, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var millis = 0
        if bytes.count > 20 {
            guard bytes[19] == 0x2E, bytes.count > 21, bytes.count <= 30, let fraction = number(20..<(bytes.count - 1)) else { return nil }
            let digits = bytes.count - 21
            millis = digits >= 3 ? fraction / Int(Self.pow10(digits - 3)) : fraction * Int(Self.pow10(3 - digits))
        } else if bytes.count != 20 {
            return nil
        }
        // Days from the civil date (Howard Hinnant's algorithm), no time zone involved.
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        self.init(milliseconds: Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(millis))
    }

    /// The current time.
    public static func now() -> WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallClock(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    /// Milliseconds since the epoch.
    public var milliseconds: Int64 { seconds * 1000 + Int64(nanoseconds / 1_000_000) }

    /// RFC 3339 in UTC with milliseconds: `2026-11-25T03:04:05.678Z`.
    ///
    /// Computed from the civil calendar directly into 24 bytes (no
    /// `gmtime_r`, no interpolation): job lists print four per job.
    public var iso8601: String {
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let day = secondOfDay < 0 ? days - 1 : days
        let second = Int(secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay)
        // Howard Hinnant's civil_from_days.
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        guard (0...9999).contains(year) else { return "\(year)-\(pad(month, 2))-\(pad(dayOfMonth, 2))T00:00:00.000Z" }
        let millis = Int(nanoseconds / 1_000_000)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = 0x2D
            put(month, 2, at: 5)
            buffer[7] = 0x2D
            put(dayOfMonth, 2, at: 8)
            buffer[10] = 0x54
            put(second / 3600, 2, at: 11)
            buffer[13] = 0x3A
            put(second / 60 % 60, 2, at: 14)
            buffer[16] = 0x3A
            put(second % 60, 2, at: 17)
            buffer[19] = 0x2E
            put(millis, 3, at: 20)
            buffer[23] = 0x5A
            return 24
        }
    }

    /// The start of the next local day after this instant (when a daily
    /// count starts over).
    public var nextLocalMidnight: WallClock {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        parts.tm_mday += 1
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1  // whichever the new day has
        return WallClock(seconds: Int64(mktime(&parts)))
    }

    /// The start of the next local month after this instant.
    public var nextLocalMonth: WallClock {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        parts.tm_mon += 1
        parts.tm_mday = 1
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1
        return WallClock(seconds: Int64(mktime(&parts)))
    }

    /// The calendar date in the local time zone: `2026-11-25` (for folder names).
    public var localDate: String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
    }

    public static func < (lhs: WallClock, rhs: WallClock) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    private static func pow10(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(Int64(1)) { result, _ in result * 10 }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
