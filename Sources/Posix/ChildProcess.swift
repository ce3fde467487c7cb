import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A process started with `posix_spawn`, and how it ended.
///
/// The child starts with default signal dispositions and an empty signal mask
/// (the daemon blocks signals in its own threads; children must not inherit
/// that), and with no descriptors but the ones `Options` names.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Signal)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by \(signal)"
            }
        }
    }

    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// The same descriptor as this process.
        case inherit
        /// /dev/null.
        case null
        /// A descriptor of this process (the caller keeps and closes its copy).
        case descriptor(FileDescriptor)
    }

    /// What to run and how.
    public struct Options: Sendable {
        /// The executable's path (no PATH search: see ProcessEnvironment.findExecutable).
        public var executable: String
        /// Arguments after argv[0] (argv[0] is the executable's path).
        public var arguments: [String]
        /// The complete environment; nil inherits this process's.
        public var environment: [String: String]?
        public var standardInput: Stream = .inherit
        public var standardOutput: Stream = .inherit
        public var standardError: Stream = .inherit
        /// More descriptors for the child: child number -> this process's descriptor.
        public var extraDescriptors: [Int32: FileDescriptor] = [:]
        /// Start a new session (`setsid`), detached from the terminal.
        public var newSession = false

        public init(executable: String, arguments: [String] = [], environment: [String: String]? = nil) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
        }
    }

    /// The child's process id.
    public let pid: pid_t
    private let termination = Lock<Termination?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts a child.
    public static func spawn(_ options: Options) throws(SystemError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }

        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        posix_spawnattr_setflags(&attributes, flags)
        if options.newSession {
            let result = cposix_spawnattr_setsid(&attributes)
            if result != 0 { throw SystemError(code: result, function: "posix_spawnattr_setflags(SETSID)") }
        }
        posix_spawnattr_getflags(&attributes, &flags)

        // Map each target descriptor; dup2 clears close-on-exec on the copy.
        var mapping: [DescriptorMapping] = []
        let streams = [options.standardInput, options.standardOutput, options.standardError]
        for (number, stream) in streams.enumerated() {
            switch stream {
            case .inherit: mapping.append(DescriptorMapping(target: Int32(number), source: Int32(number)))
            case .null: mapping.append(DescriptorMapping(target: Int32(number), source: nil))
            case .descriptor(let fd): mapping.append(DescriptorMapping(target: Int32(number), source: fd.rawValue))
            }
        }
        for (target, fd) in options.extraDescriptors.sorted(by: { $0.key < $1.key }) {
            mapping.append(DescriptorMapping(target: target, source: fd.rawValue))
        }
        for action in descriptorActions(for: mapping) {
            switch action {
            case .duplicate(let source, let target): posix_spawn_file_actions_adddup2(&actions, source, target)
            case .close(let fd): posix_spawn_file_actions_addclose(&actions, fd)
            case .openNull(let fd): posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0)
            }
        }
        let highest = (mapping.map(\.target).max() ?? 2) + 1
        _ = cposix_spawn_close_from(&actions, &attributes, highest)

        let argv = [options.executable] + options.arguments
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            guard let environment = options.environment else {
                // Inherit: hand over this process's own environment as is.
                return posix_spawn(&pid, options.executable, &actions, &attributes, argvPointers, currentEnvironment())
            }
            let envp = environment.map { "\($0.key)=\($0.value)" }.sorted()
            return withCStrings(envp) { envPointers in
                posix_spawn(&pid, options.executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        if result != 0 {
            throw SystemError(code: result, function: "posix_spawn", subject: options.executable)
        }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end and reaps it (`waitpid`). Blocks: call it
    /// from a thread of your own, not from Swift's cooperative pool.
    @discardableResult
    public func wait() throws(SystemError) -> Termination {
        if let known = termination.withLock({ $0 }) { return known }
        var status: Int32 = 0
        _ = try retryingInterrupts("waitpid", "pid \(pid)") { waitpid(pid, &status, 0) }
        return record(status)
    }

    /// Reaps the child if it has ended, without waiting.
    public func poll() throws(SystemError) -> Termination? {
        if let known = termination.withLock({ $0 }) { return known }
        var status: Int32 = 0
        let result = try retryingInterrupts("waitpid", "pid \(pid)") { waitpid(pid, &status, WNOHANG) }
        return result == 0 ? nil : record(status)
    }

    /// Reaps the child whenever it ends, on a small thread of its own, for a
    /// child this process does not wait for (a daemon it started): no zombie
    /// stays behind in a long-lived parent.
    public func reapInBackground() {
        let thread = try? OSThread.spawn(name: "vc-reaper", stackSize: 64 * 1024) { [self] in
            _ = try? wait()
        }
        thread?.detach()
    }

    /// Sends `signal` to the child (ignored if it was already reaped).
    public func send(_ signal: Signal) {
        guard termination.withLock({ $0 }) == nil else { return }
        _ = kill(pid, signal.rawValue)
    }

    private func record(_ status: Int32) -> Termination {
        var value: Int32 = 0
        let ended: Termination
        if cposix_exit_status(status, &value) != 0 {
            ended = .exited(value)
        } else if cposix_termination_signal(status, &value) != 0 {
            ended = .signaled(Signal(rawValue: value))
        } else {
            ended = .exited(-1)
        }
        termination.withLock { $0 = ended }
        return ended
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<Result>(
    _ strings: [String],
    _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result
) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// This process's `environ`.
private func currentEnvironment() -> UnsafePointer<UnsafeMutablePointer<CChar>?>? {
    #if canImport(Darwin)
    return UnsafePointer(_NSGetEnviron()?.pointee)
    #else
    return UnsafePointer(environ)
    #endif
}

/// A descriptor the child gets: `target` is a copy of this process's
/// `source`, or /dev/null when `source` is nil.
struct DescriptorMapping: Equatable {
    var target: Int32
    var source: Int32?
}

/// One step of setting up a child's descriptors, in order.
enum DescriptorAction: Equatable {
    case duplicate(Int32, Int32)
    case close(Int32)
    case openNull(Int32)
}

/// The steps that give the child exactly `mapping`, whatever the numbers.
///
/// A source that is also another mapping's target would be overwritten
/// before it is copied, so every source is first copied to a staging number
/// above all targets and all sources (a staging number equal to a source not
/// yet copied would clobber it), then from there to its target. A source
/// that is its own target goes through a staging copy too: dup2 onto itself
/// would not clear close-on-exec.
func descriptorActions(for mapping: [DescriptorMapping]) -> [DescriptorAction] {
    var actions: [DescriptorAction] = []
    let highestTarget = mapping.map(\.target).max() ?? 2
    let highestSource = mapping.compactMap(\.source).max() ?? 0
    var nextStage = max(highestTarget + 1, highestSource + 1, 64)
    var staged: [Int32: Int32] = [:]
    for entry in mapping {
        guard let source = entry.source, staged[source] == nil else { continue }
        staged[source] = nextStage
        actions.append(.duplicate(source, nextStage))
        nextStage += 1
    }
    for entry in mapping {
        if let source = entry.source {
            actions.append(.duplicate(staged[source]!, entry.target))
        } else {
            actions.append(.openNull(entry.target))
        }
    }
    for stage in staged.values.sorted() { actions.append(.close(stage)) }
    return actions
}
