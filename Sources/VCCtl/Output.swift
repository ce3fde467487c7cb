import CommandLineKit
import JSON
import Posix

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

    /// Whether to colour standard output: a terminal, and NO_COLOR not set
    /// (https://no-color.org), and TERM not "dumb".
    static func colours(_ context: CommandContext) -> Bool {
        context.isStandardOutputTerminal && (context.environment["NO_COLOR"] ?? "").isEmpty && context.environment["TERM"] != "dumb"
    }

    /// A job state, coloured when `colour` (green succeeded, red failed,
    /// cyan running, yellow queued, grey cancelled), padded to `width`.
    static func state(_ state: String, colour: Bool, width: Int = 9) -> String {
        let padding = String(repeating: " ", count: max(0, width - state.count))
        guard colour else { return state + padding }
        let code = switch state {
        case "succeeded": "32"
        case "failed": "31"
        case "running": "36"
        case "queued": "33"
        default: "90"
        }
        return "\u{1B}[\(code)m\(state)\u{1B}[0m" + padding
    }

    /// A short pause for bounded waits on things that have no event.
    static func pause(milliseconds: Int) {
        var interval = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
        nanosleep(&interval, nil)
    }
}
