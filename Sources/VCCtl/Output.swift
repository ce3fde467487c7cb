import CommandLineKit
import JSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Formatting shared by the commands.
enum Output {
    /// JSON for standard output: indented on a terminal, one line otherwise.
    static func json(_ value: JSON, context: CommandContext) -> String {
        JSONSerializer.serializeToString(value, pretty: context.isStandardOutputTerminal) + "\n"
    }

    /// "3m 12s", "2h 5m", "4d 1h", "12s".
    static func duration(seconds: Double) -> String {
        let total = Int(seconds)
        let (days, hours, minutes, secs) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(secs)s" }
        return "\(secs)s"
    }

    /// A short pause for bounded waits on things that have no event.
    static func pause(milliseconds: Int) {
        var interval = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
        nanosleep(&interval, nil)
    }
}
