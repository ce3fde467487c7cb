import Posix

/// Writes a message that may repeat on every call (say, once per submit
/// while the upstream is down) at most once per `period`, and says how many
/// were held back when it writes again: a log stays readable and a busy
/// path does not pay for a line each time.
final class RepeatedMessageLog: Sendable {
    private let write: @Sendable (String) -> Void
    private let period: Duration
    private let clock: @Sendable () -> MonotonicInstant
    private let state = Lock<[String: Entry]>([:])

    private struct Entry {
        var lastWritten: MonotonicInstant
        var heldBack: Int
    }

    init(period: Duration, clock: @escaping @Sendable () -> MonotonicInstant = { .now() }, write: @escaping @Sendable (String) -> Void) {
        self.period = period
        self.clock = clock
        self.write = write
    }

    /// Writes `message` unless the same text was written less than a
    /// period ago, in which case it is counted.
    func log(_ message: String) {
        let now = clock()
        let heldBack = state.withLock { entries -> Int? in
            if let entry = entries[message], entry.lastWritten.duration(to: now) < period {
                entries[message]?.heldBack += 1
                return nil
            }
            let held = entries[message]?.heldBack ?? 0
            if entries.count > 64 { entries = entries.filter { $0.value.lastWritten.duration(to: now) < period } }
            entries[message] = Entry(lastWritten: now, heldBack: 0)
            return held
        }
        guard let heldBack else { return }
        write(heldBack == 0 ? message : "\(message) (\(heldBack) more like it since the last)")
    }
}
