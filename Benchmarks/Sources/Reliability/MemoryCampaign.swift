import Harness
import JobStore
import JSON
import JSONRPC
import Posix

/// One client pipelining large listings: a store of 2,000 jobs with 16 KiB
/// prompts, and 300 `job.list {"limit":1000}` (16.5 MB a reply) sent in one
/// write, by a client that never reads, by one that reads as fast as it
/// can, and as one batch of 1,000 that is never read. The daemon's memory
/// must stay within a bound of where it started while the client
/// pipelines, and come back near it once the client is gone. Each client
/// gets a daemon of its own, started on the same store, and one listing
/// read to the end first (the baseline then holds the store's caches).
public struct MemoryCampaign: Sendable {
    public struct Settings: Sendable {
        public var jobs = 2_000
        public var promptBytes = 16 << 10
        /// `job.list` requests in the one write.
        public var requests = 300
        /// Their `limit`.
        public var limit = 1_000
        /// Requests in the batch.
        public var batchSize = 1_000
        /// How long a client that does not read is watched before it goes.
        public var watch: Duration = .seconds(10)
        /// The most the daemon's RSS may grow over its baseline while a
        /// client pipelines.
        public var peakGrowthLimitKilobytes = 256 << 10
        /// The most it may stay over its baseline once the client is gone.
        public var afterGrowthLimitKilobytes = 16 << 10
        /// How long the memory may take to settle (before the client, and
        /// once it is gone).
        public var settleTimeout: Duration = .seconds(10)
        /// Past this RSS the daemon is killed and the phase fails: a daemon
        /// with no bound would otherwise take the machine.
        public var ceilingKilobytes = 4 << 20

        public init() {}
    }

    /// A reading of the daemon's memory, in kilobytes.
    public struct Memory: Sendable, Equatable {
        /// VmRSS.
        public var resident: Int
        /// RssAnon (the heap's part of it); 0 where the system does not tell.
        public var anonymous: Int

        public init(resident: Int, anonymous: Int) {
            self.resident = resident
            self.anonymous = anonymous
        }
    }

    /// What one client did to a daemon's memory.
    public struct Phase: Sendable {
        public var name: String
        public var baseline = Memory(resident: 0, anonymous: 0)
        /// The highest of the readings taken every 10 ms meanwhile.
        public var peak = Memory(resident: 0, anonymous: 0)
        /// Once the daemon closed the connection and its memory settled.
        public var after = Memory(resident: 0, anonymous: 0)
        /// Complete replies the client read (the reading client only).
        public var replies = 0
        public var bytesRead = 0
        public var elapsed: Duration = .zero
        /// The bound it broke, in words; nil if none.
        public var failure: String?
    }

    public struct Report: Sendable {
        public var phases: [Phase] = []
        /// Every bound broken, one line each.
        public var failures: [String] { phases.compactMap { phase in phase.failure.map { "\(phase.name): \($0)" } } }
    }

    public let binaries: Binaries
    public let folder: String
    public let settings: Settings

    public init(binaries: Binaries, folder: String, settings: Settings) {
        self.binaries = binaries
        self.folder = folder
        self.settings = settings
    }

    /// Runs the three clients; a broken bound is in the report (with the
    /// figures), a run that could not be made at all throws.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        Signals.ignoreBrokenPipe()
        try fillStore()
        progress("\(settings.jobs) jobs with \(settings.promptBytes)-byte prompts in the store")
        var pipelined: [UInt8] = []
        for id in 0..<settings.requests { pipelined += listRequest(id: id) + [0x0A] }
        var batch: [UInt8] = [UInt8(ascii: "[")]
        for id in 0..<settings.batchSize {
            if id > 0 { batch.append(UInt8(ascii: ",")) }
            batch += listRequest(id: id)
        }
        batch += [UInt8(ascii: "]"), 0x0A]
        let requests = settings.requests
        var report = Report()
        report.phases.append(try phase("\(requests) lists in one write, never read", progress: progress) { client, sampler in
            try client.writeAll(pipelined)
            sampler.watch(for: settings.watch)
            return (0, 0)
        })
        report.phases.append(try phase("\(requests) lists in one write, read as fast as possible", progress: progress) { client, _ in
            try client.writeAll(pipelined)
            return try readReplies(client, count: requests)
        })
        report.phases.append(try phase("a batch of \(settings.batchSize) lists, never read", progress: progress) { client, sampler in
            try client.writeAll(batch)
            sampler.watch(for: settings.watch)
            return (0, 0)
        })
        return report
    }

    // MARK: Private

    private var database: String { "\(folder)/state/visioncraft/jobs.sqlite3" }

    private func listRequest(id: Int) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"job.list","params":{"limit":\#(settings.limit)}}"#.utf8)
    }

    /// Writes the queued jobs straight into the store, as a daemon would
    /// have left them (prompts indexed).
    private func fillStore() throws {
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: database), permissions: 0o700)
        let store = try JobStore(path: database)
        let ids = JobIDGenerator()
        let words = "a lighthouse at dusk, "
        let prompt = String(String(repeating: words, count: settings.promptBytes / words.utf8.count + 1).prefix(settings.promptBytes))
        var parameters: [UInt8] = []
        JSONSerializer.append(["prompt": .string(prompt), "image_count": 1], to: &parameters)
        let stored = String(decoding: parameters, as: UTF8.self)
        try store.connection.transaction {
            for _ in 0..<settings.jobs {
                try store.insertRows(NewJob(id: ids.next(), parameters: stored, prompt: prompt, imageCount: 1, createdAt: WallClock.now().milliseconds))
            }
        }
        try store.connection.transaction { try store.indexNewPrompts() }
    }

    /// Starts a daemon, lists once, then lets `client` loose on a connection
    /// of its own while its memory is sampled, and waits for the memory to
    /// settle once the connection is closed.
    private func phase(
        _ name: String, progress: (String) -> Void,
        _ client: (FileDescriptor, MemorySampler) throws -> (replies: Int, bytes: Int)
    ) throws -> Phase {
        let daemon = try SandboxedDaemon.startIdle(binaries, folder: folder)
        defer { daemon.server.stop() }
        let pid = daemon.server.child.pid
        let status = RPCClient(descriptor: try UnixSocket.connect(to: daemon.socket))
        defer { status.close() }
        let warmUp = try UnixSocket.connect(to: daemon.socket)
        try warmUp.writeAll(listRequest(id: 0) + [0x0A])
        _ = try readReplies(warmUp, count: 1)
        try? warmUp.close()
        try waitForConnections(1, status)
        var phase = Phase(name: name)
        phase.baseline = try settledMemory(of: pid)
        progress("\(name): daemon at \(phase.baseline.resident / 1024) MB")

        let sampler = try MemorySampler(pid: pid, ceilingKilobytes: settings.ceilingKilobytes) { daemon.server.child.send(.kill) }
        let started = MonotonicInstant.now()
        let connection = try UnixSocket.connect(to: daemon.socket)
        do {
            (phase.replies, phase.bytesRead) = try client(connection, sampler)
        } catch {
            phase.failure = sampler.killed ? nil : "the client failed: \(error)"
        }
        try? connection.close()
        phase.elapsed = started.elapsed
        if !sampler.killed {
            try waitForConnections(1, status)
            phase.after = try settledMemory(of: pid)
        }
        phase.peak = sampler.stop()
        progress("\(name): peak \(phase.peak.resident / 1024) MB, after \(phase.after.resident / 1024) MB, \(phase.replies) replies read")

        let peakGrowth = phase.peak.resident - phase.baseline.resident
        let afterGrowth = phase.after.resident - phase.baseline.resident
        if sampler.killed {
            phase.failure = "the daemon passed \(settings.ceilingKilobytes / 1024) MB (from \(phase.baseline.resident / 1024) MB) and was killed"
        } else if phase.failure == nil, peakGrowth > settings.peakGrowthLimitKilobytes {
            phase.failure = "the daemon grew by \(peakGrowth / 1024) MB (from \(phase.baseline.resident / 1024) MB), over the \(settings.peakGrowthLimitKilobytes / 1024) MB allowed"
        } else if phase.failure == nil, afterGrowth > settings.afterGrowthLimitKilobytes {
            phase.failure = "the daemon still held \(afterGrowth / 1024) MB more than its \(phase.baseline.resident / 1024) MB "
                + "once the client was gone, over the \(settings.afterGrowthLimitKilobytes / 1024) MB allowed"
        }
        return phase
    }

    /// Reads `count` replies to the end, checking that each is a result.
    private func readReplies(_ client: FileDescriptor, count: Int) throws -> (replies: Int, bytes: Int) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var replies = 0, bytes = 0
        // The first bytes of the line being read: a reply starts
        // {"jsonrpc":"2.0","id":N,"result":...
        var head: [UInt8] = []
        while replies < count {
            let result = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
            guard case .bytes(let read) = result, read > 0 else {
                throw ReliabilityError("the daemon closed the connection after \(replies) of \(count) replies")
            }
            bytes += read
            var start = 0
            while start < read {
                // Not LineFramer: it would hold each whole reply (a listing
                // of megabytes) to hand it over, and the client's memory
                // would blur the daemon's; this keeps a reply's first 64
                // bytes. memchr: a debug build's generic search would be
                // slower than the daemon.
                let newline: Int? = buffer.withUnsafeBytes { all in
                    memchr(all.baseAddress! + start, 0x0A, read - start).map { UnsafeRawPointer($0) - all.baseAddress! }
                }
                let end = newline ?? read
                if head.count < 64 { head += buffer[start..<min(end, start + 64 - head.count)] }
                guard let newline else { break }
                guard String(decoding: head, as: UTF8.self).contains(#""result":"#) else {
                    throw ReliabilityError("reply \(replies + 1) is not a result: \(String(decoding: head, as: UTF8.self))...")
                }
                replies += 1
                head = []
                start = newline + 1
            }
        }
        return (replies, bytes)
    }

    /// Waits until the daemon reports `count` open connections (its own
    /// count, so a closed connection is really gone).
    private func waitForConnections(_ count: Int, _ status: RPCClient) throws {
        let deadline = MonotonicInstant.now().advanced(by: .seconds(60))
        let pause = ThreadCondition(false)
        while true {
            let open = try status.call("daemon.status", timeout: .seconds(60))["connections"]?.intValue
            if open == count { return }
            guard MonotonicInstant.now() < deadline else {
                throw ReliabilityError("the daemon still reports \(open.map(String.init) ?? "?") connections a minute after the client went")
            }
            _ = pause.wait(timeout: .milliseconds(10)) { $0 }
        }
    }

    /// The memory once the daemon is idle: the work of a closed connection
    /// ends, and its memory is given back on a thread of the daemon's own, a
    /// little after the connection is gone. Readings 50 ms apart until, over
    /// the last four, the daemon used no CPU (where the system tells) and
    /// its RSS moved by 1 MB at most; or `settleTimeout`.
    private func settledMemory(of pid: pid_t) throws -> Memory {
        let deadline = MonotonicInstant.now().advanced(by: settings.settleTimeout)
        let pause = ThreadCondition(false)
        var readings = [(memory: try memory(of: pid), cpu: Self.cpuTicks(of: pid))]
        while MonotonicInstant.now() < deadline {
            _ = pause.wait(timeout: .milliseconds(50)) { $0 }
            readings.append((try memory(of: pid), Self.cpuTicks(of: pid)))
            let last = readings.suffix(4)
            let resident = last.map(\.memory.resident)
            if last.count == 4, resident.max()! - resident.min()! <= 1024, last.first!.cpu == last.last!.cpu { break }
        }
        return readings[readings.count - 1].memory
    }

    /// User and system clock ticks the process used (/proc/PID/stat); nil
    /// elsewhere.
    private static func cpuTicks(of pid: pid_t) -> Int? {
        #if os(Linux)
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        // After "pid (name) ": state is field 3, utime 14, stime 15; the name may hold spaces.
        let text = String(decoding: bytes, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
        #else
        return nil
        #endif
    }

    private func memory(of pid: pid_t) throws -> Memory {
        guard let resident = ResidentMemory.kilobytes(of: pid) else { throw ReliabilityError("cannot read the daemon's memory (pid \(pid))") }
        return Memory(resident: resident, anonymous: ResidentMemory.anonymousKilobytes(of: pid) ?? 0)
    }
}

/// Reads a process's memory every 10 ms on a thread of its own and keeps the
/// highest reading; past a ceiling it kills the process (through `kill`).
final class MemorySampler: Sendable {
    private struct State {
        var peak = MemoryCampaign.Memory(resident: 0, anonymous: 0)
        var stopping = false
        var killed = false
    }

    private let state = ThreadCondition(State())
    private let thread: OSThread

    init(pid: pid_t, ceilingKilobytes: Int, kill: @escaping @Sendable () -> Void) throws {
        let state = self.state
        thread = try OSThread.spawn(name: "memory-sampler") {
            while true {
                let resident = ResidentMemory.kilobytes(of: pid) ?? 0
                let anonymous = ResidentMemory.anonymousKilobytes(of: pid) ?? 0
                let over = resident > ceilingKilobytes
                if over { kill() }
                state.update { state in
                    state.peak.resident = max(state.peak.resident, resident)
                    state.peak.anonymous = max(state.peak.anonymous, anonymous)
                    if over { state.killed = true }
                }
                if over || state.wait(timeout: .milliseconds(10), until: { $0.stopping }) { return }
            }
        }
    }

    /// True once the ceiling was passed (and the process killed).
    var killed: Bool { state.read { $0.killed } }

    /// Blocks for `duration`, or until the ceiling is passed.
    ///
    /// - Returns: false if the ceiling was passed.
    @discardableResult
    func watch(for duration: Duration) -> Bool {
        !state.wait(timeout: duration) { $0.killed }
    }

    /// Stops sampling; returns the highest reading.
    func stop() -> MemoryCampaign.Memory {
        state.update { $0.stopping = true }
        thread.join()
        return state.read { $0.peak }
    }
}
