import Posix

/// How long the service asks to wait (for every backend module that reads
/// HTTP answers).
package enum RetryAfter {
    /// Reads a `Retry-After` value: delta-seconds ("120") or an HTTP-date
    /// ("Wed, 21 Oct 2015 07:28:00 GMT", RFC 9110), relative to `now`
    /// (seconds since the epoch). Past dates are zero; nonsense is nil.
    package static func parse(_ value: String, now: Double) -> Duration? {
        let text = value.trimmingSpaces
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let seconds = Int64(text) else { return nil }
            return .seconds(min(seconds, 86_400))
        }
        guard let date = httpDate(text) else { return nil }
        return .milliseconds(Int64(max(0, date - now) * 1000))
    }

    /// Reads a wait from messages like "users can make 2 requests per 10
    /// seconds" (the only limit information some versions gave): one window.
    package static func fromMessage(_ message: String) -> Duration? {
        let words = message.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        guard let per = words.lastIndex(of: "per"), per + 1 < words.count else { return nil }
        var index = per + 1
        var count: Int64 = 1
        if let number = Int64(words[index]) {
            count = number
            index += 1
        }
        guard index < words.count else { return nil }
        let unit: Int64
        switch words[index] {
        case "second", "seconds", "sec", "secs", "s": unit = 1
        case "minute", "minutes", "min", "mins": unit = 60
        case "hour", "hours", "h": unit = 3600
        case "day", "days": unit = 86_400
        default: return nil
        }
        return .seconds(min(count * unit, 86_400))
    }

    /// IMF-fixdate, and the obsolete RFC 850 and asctime forms.
    package static func httpDate(_ text: String) -> Double? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map { String($0).lowercased() }
        var day: Int?, month: Int?, year: Int?, clock: [Int]?
        for part in parts {
            if let index = months.firstIndex(of: String(part.prefix(3))), part.count >= 3, Int(part) == nil {
                month = index
            } else if part.contains(":") {
                let numbers = part.split(separator: ":").compactMap { Int($0) }
                if numbers.count == 3 { clock = numbers }
            } else if let number = Int(part) {
                if number > 31 || part.count == 4 { year = number } else if day == nil { day = number } else { year = number }
            }
        }
        guard let day, let month, var year, let clock, (1...31).contains(day), clock[0] < 24, clock[1] < 60, clock[2] < 61 else { return nil }
        if year < 100 { year += year < 70 ? 2000 : 1900 }
        var parts_ = tm()
        parts_.tm_year = Int32(year - 1900)
        parts_.tm_mon = Int32(month)
        parts_.tm_mday = Int32(day)
        parts_.tm_hour = Int32(clock[0])
        parts_.tm_min = Int32(clock[1])
        parts_.tm_sec = Int32(clock[2])
        return Double(timegm(&parts_))
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    package var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
