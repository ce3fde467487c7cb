import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A POSIX signal number with a name.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let hangup = Signal(rawValue: SIGHUP)
    public static let interrupt = Signal(rawValue: SIGINT)
    public static let kill = Signal(rawValue: SIGKILL)
    public static let terminate = Signal(rawValue: SIGTERM)
    public static let brokenPipe = Signal(rawValue: SIGPIPE)
    public static let child = Signal(rawValue: SIGCHLD)

    public var description: String {
        switch self {
        case .hangup: "SIGHUP"
        case .interrupt: "SIGINT"
        case .kill: "SIGKILL"
        case .terminate: "SIGTERM"
        case .brokenPipe: "SIGPIPE"
        case .child: "SIGCHLD"
        default:
            switch rawValue {
            case SIGSEGV: "SIGSEGV"
            case SIGBUS: "SIGBUS"
            case SIGILL: "SIGILL"
            case SIGFPE: "SIGFPE"
            case SIGABRT: "SIGABRT"
            case SIGTRAP: "SIGTRAP"
            case SIGSYS: "SIGSYS"
            default: "signal \(rawValue)"
            }
        }
    }
}

/// Process-wide signal dispositions and masks.
public enum Signals {
    /// Ignores SIGPIPE: a write to a closed socket then fails with EPIPE
    /// instead of killing the process.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// From now on a fatal signal (a segmentation fault, bus error, illegal
    /// instruction, abort, ...) first creates the file `path` holding its
    /// number, then goes to the handler that was there before (the Swift
    /// runtime's backtracer prints its report), then ends the process with
    /// the signal's default action, also when kill(2) sent it. SIGKILL
    /// cannot be caught: a process restarted after dying tells a crash from
    /// a kill by the file. A stack overflow is recorded on the threads that
    /// have an `AlternateSignalStack`.
    public static func recordFatalSignals(inFile path: String) throws(SystemError) {
        if cposix_record_fatal_signals(path) != 0 { throw SystemError.last("sigaction", path) }
    }

    /// Blocks `signals` in the calling thread, and so in every thread it
    /// creates afterwards. Call first thing in `main`, before any thread
    /// exists, then receive them with `SignalWaiter`.
    public static func block(_ signals: [Signal]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.rawValue) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Sends `signal` to process `pid` (`kill(2)`).
    public static func send(_ signal: Signal, to pid: pid_t) throws(SystemError) {
        _ = try retryingInterrupts("kill", "pid \(pid)") { kill(pid, signal.rawValue) }
    }

    /// Whether process `pid` still runs: it exists (`kill(pid, 0)`; EPERM
    /// means it does, as another user's) and, on Linux, has not exited
    /// already waiting to be reaped (a zombie, state Z in /proc/PID/stat).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        if let stat = try? FileSystem.readFile("/proc/\(pid)/stat", limit: 1024), let close = stat.lastIndex(of: UInt8(ascii: ")")),
            close + 2 < stat.count
        {
            return stat[close + 2] != UInt8(ascii: "Z")
        }
        #endif
        return true
    }
}

/// Receives blocked signals synchronously on a thread of its own (`sigwait`),
/// so handlers are ordinary code, not async-signal-safe code.
public final class SignalWaiter: Sendable {
    private let thread: OSThread

    /// Starts waiting for `signals` (which the caller has blocked with
    /// `Signals.block` before creating any thread) and calls `handler` on the
    /// waiter's thread for each one that arrives. Runs until the process ends.
    public init(_ signals: [Signal], handler: @escaping @Sendable (Signal) -> Void) throws(SystemError) {
        let numbers = signals.map(\.rawValue)
        thread = try OSThread.spawn(name: "vc-signals", stackSize: 128 * 1024) {
            var set = sigset_t()
            sigemptyset(&set)
            for number in numbers { sigaddset(&set, number) }
            while true {
                var received: Int32 = 0
                if sigwait(&set, &received) == 0 {
                    handler(Signal(rawValue: received))
                }
            }
        }
        thread.detach()
    }
}
