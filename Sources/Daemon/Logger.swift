import Posix

/// The daemon's log: one line per event, written with a single `write(2)` so
/// lines from different threads never interleave.
///
/// `2026-11-25T03:04:05.678Z visioncraftd[4242] info: listening on /run/...`
public final class Logger: Sendable {
    /// How much to log.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case debug, info, warning, error

        package init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.description == name }) else { return nil }
            self = level
        }

        public var description: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Messages below this level are dropped.
    package let minimumLevel: Level
    private let destination: FileDescriptor
    private let ownsDestination: Bool
    private let prefix: String

    /// Logs to standard error.
    package init(minimumLevel: Level = .info, program: String = "visioncraftd") {
        self.minimumLevel = minimumLevel
        destination = .standardError
        ownsDestination = false
        prefix = "\(program)[\(getpid())]"
    }

    /// Logs to a file, appending (created 0600).
    public init(file path: String, minimumLevel: Level = .info, program: String = "visioncraftd") throws(SystemError) {
        self.minimumLevel = minimumLevel
        destination = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
        ownsDestination = true
        prefix = "\(program)[\(getpid())]"
    }

    deinit {
        if ownsDestination { try? destination.close() }
    }

    package func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    package func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    package func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    package func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    /// Writes one line if `level` is at least the minimum.
    package func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard level >= minimumLevel else { return }
        var line = "\(WallClock.now().iso8601) \(prefix) \(level): \(message())"
        // One event, one line: a message never breaks the format.
        if line.contains(where: \.isNewline) {
            line = String(line.map { $0.isNewline ? " " : $0 })
        }
        line.append("\n")
        try? destination.writeAll(Array(line.utf8))
    }
}
