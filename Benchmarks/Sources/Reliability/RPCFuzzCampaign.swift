import Harness
import Posix

/// Feeds a live daemon's socket a stream of seeded, mutated and hand-made
/// JSON-RPC lines, and checks at every checkpoint that it still answers:
/// on the fuzzed connection (a `daemon.status` sent after the inputs), and
/// on a second, well-behaved connection whose answer time is recorded. The
/// daemon's resident memory is read at every checkpoint.
public struct RPCFuzzCampaign: Sendable {
    public struct Settings: Sendable {
        /// How many inputs to send.
        public var inputs = 100_000
        /// The mutator's seed: a run is reproduced by its seed.
        public var seed: UInt64 = 1
        /// Inputs between two checkpoints.
        public var checkpointEvery = 1_000
        /// How long a checkpoint may wait for its answer.
        public var checkpointTimeout: Duration = .seconds(30)
        /// One in this many inputs is sent as half a message, then the
        /// connection is dropped.
        public var disconnectEvery = 500
        /// Sizes of oversized lines sent once each at the start (the daemon
        /// must close such a connection, not buffer it): e.g. 100 MB.
        public var hugeLineBytes: [Int] = []

        public init() {}
    }

    public struct Report: Sendable {
        public var inputs = 0
        public var bytes = 0
        public var replies = 0
        public var parseErrors = 0
        public var invalidRequests = 0
        public var otherErrors = 0
        /// Connections the daemon closed (oversized lines) or the run dropped.
        public var reconnections = 0
        public var checkpoints = 0
        /// The slowest `daemon.status` on the well-behaved connection.
        public var slowestStatus: Duration = .zero
        public var residentKilobytesAtStart: Int?
        public var residentKilobytesPeak: Int?
        public var residentKilobytesAtEnd: Int?
        public var elapsed: Duration = .zero
    }

    public let socket: String
    public let daemonProcessID: Int32?
    public let settings: Settings

    public init(socket: String, daemonProcessID: Int32?, settings: Settings) {
        self.socket = socket
        self.daemonProcessID = daemonProcessID
        self.settings = settings
    }

    /// Runs the campaign; throws when the daemon stops answering.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        Signals.ignoreBrokenPipe()
        let started = MonotonicInstant.now()
        var report = Report()
        report.residentKilobytesAtStart = memory()
        report.residentKilobytesPeak = report.residentKilobytesAtStart
        var mutator = InputMutator(seed: settings.seed)
        let seeds = NastyInputs.seeds.map { Array($0.utf8) }
        let observer = try FuzzConnection(socket: socket)
        defer { observer.close() }
        var connection = try FuzzConnection(socket: socket)
        var finished = FuzzConnection.Seen()  // summed over the connections the run used

        func replace() throws {
            finished.add(connection.seen.update { $0 })
            connection.close()
            connection = try FuzzConnection(socket: socket)
            report.reconnections += 1
        }

        for size in settings.hugeLineBytes {
            _ = connection.send(Array(repeating: UInt8(ascii: "x"), count: size))
            report.bytes += size
            try replace()
        }
        var index = 0
        while index < settings.inputs {
            let input: [UInt8]
            switch mutator.below(10) {
            case 0: input = NastyInputs.wrong[mutator.below(NastyInputs.wrong.count)]
            case 1: input = seeds[mutator.below(seeds.count)]
            default:
                input = mutator.mutate(seeds[mutator.below(seeds.count)], splicing: seeds[mutator.below(seeds.count)])
            }
            if NastyInputs.isForbidden(input) { continue }
            index += 1
            report.bytes += input.count
            if settings.disconnectEvery > 0, mutator.below(settings.disconnectEvery) == 0 {
                _ = connection.send(Array(input.prefix(max(1, input.count / 2))), newline: false)
                try replace()
            } else if !connection.send(input) {
                try replace()
            }
            if index % settings.checkpointEvery == 0 || index == settings.inputs {
                try checkpoint(index, connection: &connection, observer: observer, report: &report, replace: replace)
                if index % (settings.checkpointEvery * 10) == 0 { progress("\(index) inputs, daemon at \(report.residentKilobytesPeak ?? 0) kB") }
            }
        }
        finished.add(connection.seen.update { $0 })
        connection.close()
        report.inputs = index
        report.replies = finished.replies
        report.parseErrors = finished.parseErrors
        report.invalidRequests = finished.invalidRequests
        report.otherErrors = finished.otherErrors
        report.residentKilobytesAtEnd = memory()
        report.elapsed = started.elapsed
        return report
    }

    /// Sends a checkpoint on the fuzzed connection (again on a new one if
    /// the daemon closed it) and times `daemon.status` on the observer.
    private func checkpoint(
        _ index: Int, connection: inout FuzzConnection, observer: FuzzConnection, report: inout Report, replace: () throws -> Void
    ) throws {
        let id = "checkpoint-\(index)"
        let line = Array(#"{"jsonrpc":"2.0","id":"\#(id)","method":"daemon.status"}"#.utf8)
        if try !ask(connection, id, line) {
            try replace()  // the daemon closed it (an oversized line): a new one must be answered
            guard try ask(connection, id, line) else { throw ReliabilityError("a new connection got no answer to \(id)") }
        }
        let asked = MonotonicInstant.now()
        guard try ask(observer, id, line) else { throw ReliabilityError("the well-behaved connection lost its daemon at \(id)") }
        report.slowestStatus = max(report.slowestStatus, asked.elapsed)
        report.checkpoints += 1
        if let now = memory() { report.residentKilobytesPeak = max(report.residentKilobytesPeak ?? 0, now) }
    }

    /// Sends a checkpoint line; true once answered, false if the connection closed.
    private func ask(_ connection: FuzzConnection, _ id: String, _ line: [UInt8]) throws -> Bool {
        guard connection.send(line) else { return false }
        return try connection.waitForCheckpoint(id, timeout: settings.checkpointTimeout)
    }

    private func memory() -> Int? { daemonProcessID.flatMap { ResidentMemory.kilobytes(of: $0) } }
}
