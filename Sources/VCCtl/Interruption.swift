import CommandLineKit
import Posix

/// Ctrl-C while vcctl waits for jobs: the jobs go on in the daemon (waiting
/// is not owning), so vcctl says which and how to wait for them again, then
/// exits 130 as an interrupted program does.
///
/// SIGINT is blocked and received on a thread of its own (`SignalWaiter`),
/// so what it prints is ordinary code; the message is kept current by the
/// waiting code as jobs finish.
final class Interruption: Sendable {
    /// What to write on standard error when interrupted (nil: nothing).
    private let message = Lock<String?>(nil)

    private init() {}

    /// The one instance; SIGINT goes to it from the first `start` on.
    private static let shared: Interruption? = {
        let interruption = Interruption()
        Signals.block([.interrupt])
        do {
            _ = try SignalWaiter([.interrupt]) { _ in
                if let text = interruption.message.withLock({ $0 }) { DescriptorOutput(descriptor: 2).write(text) }
                _exit(130)
            }
        } catch {
            return nil  // no thread: Ctrl-C keeps its default action
        }
        return interruption
    }()

    /// Starts answering Ctrl-C (once per process).
    static func start() -> Interruption? { shared }

    /// From now on Ctrl-C says that `ids` go on; `clearLine` first erases a
    /// progress line.
    func waiting(for ids: some Collection<String>, clearLine: Bool) {
        guard let first = ids.first else { return finished() }
        let list = ids.joined(separator: " ")
        let text = ids.count == 1 ? "job \(first) continues" : "jobs \(list) continue"
        let line = TerminalText.visible("vcctl: interrupted: \(text); vcctl wait \(list)") + "\n"
        message.withLock { $0 = (clearLine ? "\r\u{1B}[2K" : "") + line }
    }

    /// Nothing is waited for any more: Ctrl-C just ends vcctl.
    func finished() {
        message.withLock { $0 = nil }
    }
}
