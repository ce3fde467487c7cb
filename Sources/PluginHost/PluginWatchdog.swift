import Posix

/// Time limits for hook calls, kept by one thread: a call registers its
/// deadline and what to do when it passes, and removes it when it returns.
/// Cheaper per call than a timer task, and the deadlines of hung calls are
/// noticed however busy the task pool is.
final class PluginWatchdog: Sendable {
    private struct Entry {
        let id: UInt64
        let deadline: MonotonicInstant
        let expire: @Sendable () -> Void
    }

    private struct State {
        var entries: [Entry] = []
        var nextID: UInt64 = 0
        var running = false
    }

    private let state = ThreadCondition(State())

    static let shared = PluginWatchdog()

    /// Calls `expire` once `timeout` has passed, unless `cancel` (with the
    /// returned id) comes first.
    func watch(timeout: Duration, expire: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, start) = state.update { state -> (UInt64, Bool) in
            state.nextID += 1
            state.entries.append(Entry(id: state.nextID, deadline: MonotonicInstant.now().advanced(by: timeout), expire: expire))
            defer { state.running = true }
            return (state.nextID, !state.running)
        }
        if start, let thread = try? OSThread.spawn(name: "vc-watchdog", { [self] in loop() }) {
            thread.detach()
        }
        return id
    }

    /// The call returned in time.
    func cancel(_ id: UInt64) {
        state.update { state in state.entries.removeAll { $0.id == id } }
    }

    private func loop() {
        while true {
            var expired: [Entry] = []
            let earliest = state.read { $0.entries.map(\.deadline).min() }
            if let earliest {
                let left = MonotonicInstant.now().duration(to: earliest)
                if left > .zero {
                    _ = state.wait(timeout: left) { current in current.entries.map(\.deadline).min().map { $0 < earliest } ?? false }
                }
            } else {
                state.wait { !$0.entries.isEmpty }
            }
            let now = MonotonicInstant.now()
            state.update { state in
                expired = state.entries.filter { $0.deadline <= now }
                state.entries.removeAll { $0.deadline <= now }
            }
            for entry in expired { entry.expire() }
        }
    }
}
