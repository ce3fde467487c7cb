import Posix
import Synchronization

/// The threads hooks run on: started when needed, kept while there is work,
/// so a call costs a hand-off instead of a thread's creation. A worker stuck
/// in a hung hook is simply busy; the pool grows past it. Idle workers beyond
/// `keptIdle` end after `idleTime`.
final class PluginWorkers: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var idle = 0
        var total = 0
    }

    private let state = ThreadCondition(State())
    private let keptIdle: Int
    private let idleTime: Duration

    init(keptIdle: Int = 4, idleTime: Duration = .seconds(30)) {
        self.keptIdle = keptIdle
        self.idleTime = idleTime
    }

    /// The process-wide pool.
    static let shared = PluginWorkers()

    /// Runs `work` on a worker; throws only if no thread can be started.
    func run(_ work: @escaping @Sendable () -> Void) throws(SystemError) {
        let needsThread = state.update { state -> Bool in
            state.queue.append(work)
            if state.idle >= state.queue.count { return false }
            state.total += 1
            return true
        }
        guard needsThread else { return }
        do {
            let thread = try OSThread.spawn(name: "vc-plugin") { [self] in loop() }
            thread.detach()
        } catch {
            state.update { $0.total -= 1 }
            throw error
        }
    }

    private func loop() {
        while true {
            var job: (@Sendable () -> Void)?
            let started = MonotonicInstant.now()
            state.update { $0.idle += 1 }
            _ = state.wait(timeout: idleTime) { !$0.queue.isEmpty }
            let exit = state.update { state -> Bool in
                state.idle -= 1
                if !state.queue.isEmpty {
                    job = state.queue.removeFirst()
                    return false
                }
                // Nothing to do for a while: leave unless among the kept ones.
                if state.total > keptIdle, started.elapsed >= idleTime {
                    state.total -= 1
                    return true
                }
                return false
            }
            if exit { return }
            job?()
        }
    }
}
