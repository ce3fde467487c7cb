import Harness
import JSON
import JSONRPC
import Posix

/// Many clients at once: hundreds of open connections asking
/// `daemon.status`, writers filling the queue with thousands of jobs, and
/// subscribers following every change. The status answers must stay quick
/// (p99 under 10 ms) and every subscriber must hear of every job, with no
/// `events.dropped`.
public struct LoadCampaign: Sendable {
    public struct Settings: Sendable {
        public var connections = 500
        public var jobs = 10_000
        public var subscribers = 20
        /// Threads submitting jobs at once, each on its own connection.
        public var writers = 8
        /// Threads sending `daemon.status`, each over its share of the connections.
        public var askers = 4
        /// The p99 of `daemon.status` the run must stay under.
        public var statusP99Limit: Duration = .milliseconds(10)

        public init() {}
    }

    public struct Report: Sendable {
        public var connections = 0
        public var jobs = 0
        public var submitSeconds = 0.0
        public var statusLatencies: [Duration] = []
        public var eventsPerSubscriber: [Int] = []
        public var dropped = 0

        /// The latency at `fraction` (0...1) of the sorted samples.
        public func statusLatency(at fraction: Double) -> Duration {
            let sorted = statusLatencies.sorted()
            guard !sorted.isEmpty else { return .zero }
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
    }

    public let binaries: Binaries
    public let folder: String
    public let settings: Settings

    public init(binaries: Binaries, folder: String, settings: Settings) {
        self.binaries = binaries
        self.folder = folder
        self.settings = settings
    }

    /// Runs the load; throws when a promise breaks (a lost event, a dropped
    /// subscriber, an error answer, a p99 over the limit).
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        Signals.ignoreBrokenPipe()
        DescriptorLimit.raise(to: settings.connections + settings.subscribers + settings.writers + 64)
        let daemon = try SandboxedDaemon.startIdle(binaries, folder: folder)
        defer { daemon.server.stop() }
        let subscribers = try (0..<settings.subscribers).map { _ in try EventCounter(socket: daemon.socket) }
        defer { for subscriber in subscribers { subscriber.close() } }
        let submitted = ThreadCondition(0)
        let failures = ThreadCondition<[String]>([])
        let opened = ThreadCondition(0)
        let socket = daemon.socket
        let jobs = settings.jobs, writerCount = settings.writers, askerCount = settings.askers, connectionCount = settings.connections
        let writing: @Sendable () -> Bool = { submitted.read { $0 } < jobs && failures.read { $0.isEmpty } }
        // The askers open every connection, then ask daemon.status on each,
        // round after round, while the writers run.
        let latencies = ThreadCondition<[Duration]>([])
        let askers = try (0..<askerCount).map { asker in
            try OSThread.spawn(name: "load-asker") {
                var share: [RPCClient] = []
                defer { for client in share { client.close() } }
                for _ in stride(from: asker, to: connectionCount, by: askerCount) {
                    guard let client = try? RPCClient(descriptor: UnixSocket.connect(to: socket)) else {
                        failures.update { $0.append("connection \(share.count + 1) of asker \(asker) refused") }
                        opened.update { $0 = connectionCount }
                        return
                    }
                    share.append(client)
                    opened.update { $0 += 1 }
                }
                opened.wait { $0 >= connectionCount }
                var mine: [Duration] = []
                repeat {
                    for client in share {
                        let asked = MonotonicInstant.now()
                        do {
                            _ = try client.call("daemon.status", timeout: .seconds(10))
                        } catch {
                            failures.update { $0.append("daemon.status: \(error)") }
                            return
                        }
                        mine.append(asked.elapsed)
                    }
                } while writing()
                latencies.update { $0 += mine }
            }
        }
        opened.wait { $0 >= connectionCount }
        progress("\(connectionCount) connections and \(subscribers.count) subscribers open")
        let started = MonotonicInstant.now()
        let writers = try (0..<writerCount).map { writer in
            try OSThread.spawn(name: "load-writer") {
                do {
                    let client = try RPCClient(descriptor: UnixSocket.connect(to: socket))
                    defer { client.close() }
                    for index in stride(from: writer, to: jobs, by: writerCount) {
                        _ = try client.call("job.submit", params: ["prompt": .string("load \(index)")], timeout: .seconds(30))
                        submitted.update { $0 += 1 }
                    }
                } catch {
                    failures.update { $0.append("job.submit: \(error)") }
                }
            }
        }
        for thread in writers + askers { thread.join() }
        var report = Report()
        report.submitSeconds = started.elapsed.seconds
        if let failure = failures.read({ $0.first }) { throw ReliabilityError(failure) }
        progress("\(jobs) jobs submitted in \(Int(report.submitSeconds)) s; waiting for every subscriber to hear of them")
        for subscriber in subscribers {
            guard subscriber.counts.wait(timeout: .seconds(120), until: { $0.updates >= jobs || $0.dropped > 0 || $0.closed }) else {
                throw ReliabilityError("a subscriber heard of \(subscriber.counts.read { $0.updates }) of \(jobs) jobs in 2 minutes")
            }
        }
        report.connections = connectionCount
        report.jobs = jobs
        report.statusLatencies = latencies.read { $0 }
        report.eventsPerSubscriber = subscribers.map { $0.counts.read { $0.updates } }
        report.dropped = subscribers.reduce(0) { $0 + $1.counts.read { $0.dropped } }
        guard report.dropped == 0 else { throw ReliabilityError("subscribers were told \(report.dropped) times that events were dropped") }
        guard report.statusLatency(at: 0.99) < settings.statusP99Limit else {
            throw ReliabilityError("daemon.status p99 is \(report.statusLatency(at: 0.99)) under load, over \(settings.statusP99Limit)")
        }
        return report
    }
}

/// A subscriber connection that counts `job.updated` notifications and
/// `events.dropped` notices on a thread of its own.
final class EventCounter: Sendable {
    struct Counts: Sendable {
        var updates = 0
        var dropped = 0
        var closed = false
    }

    let counts = ThreadCondition(Counts())
    private let descriptor: FileDescriptor
    private let reader: OSThread

    init(socket: String) throws {
        let descriptor = try UnixSocket.connect(to: socket)
        self.descriptor = descriptor
        try descriptor.writeAll(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"# + "\n")
        // Subscribed once the answer is here: only then does every later job
        // reach this connection (a busy daemon may take a while; jobs
        // submitted before would be missed, and look lost).
        // The daemon bounds what it sends; the subscriber takes it all.
        var framer = LineFramer(maximumLineLength: .max)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var reply: String?
        while reply == nil {
            guard try Poll.wait(for: descriptor, events: .readable, timeout: .seconds(60)) else {
                throw ReliabilityError("events.subscribe was not answered within 60 s")
            }
            guard case .bytes(let count) = try buffer.withUnsafeMutableBytes({ try descriptor.read(into: $0) }), count > 0 else {
                throw ReliabilityError("the daemon closed a subscriber before answering events.subscribe")
            }
            // The answer, then a pause: the events behind it stay buffered.
            _ = buffer.withUnsafeBytes { bytes in
                framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { line in
                    reply = String(decoding: line, as: UTF8.self)
                    return false
                }
            }
        }
        guard let reply, reply.contains(#""subscribed":true"#) else {
            throw ReliabilityError("events.subscribe failed: \(reply ?? "")")
        }
        let counts = counts
        reader = try OSThread.spawn(name: "load-subscriber") { [framer] in
            var framer = framer
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var updates = 0, dropped = 0
            func tally(_ bytes: UnsafeRawBufferPointer) -> Bool {
                let line = String(decoding: bytes, as: UTF8.self)
                if line.contains("\"method\":\"job.updated\"") { updates += 1 }
                if line.contains("\"method\":\"events.dropped\"") { dropped += 1 }
                return true
            }
            // What came with the answer first, then each read.
            _ = framer.resume(onLine: tally)
            while true {
                counts.update { $0.updates += updates; $0.dropped += dropped }
                updates = 0
                dropped = 0
                let result = buffer.withUnsafeMutableBytes { try? descriptor.read(into: $0) }
                guard case .bytes(let read)? = result, read > 0 else { break }
                _ = buffer.withUnsafeBytes { bytes in framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<read]), onLine: tally) }
            }
            counts.update { $0.closed = true }
        }
    }

    func close() {
        #if canImport(Glibc)
        _ = shutdown(descriptor.rawValue, Int32(SHUT_RDWR))
        #else
        _ = shutdown(descriptor.rawValue, SHUT_RDWR)
        #endif
        reader.join()
        try? descriptor.close()
    }
}
