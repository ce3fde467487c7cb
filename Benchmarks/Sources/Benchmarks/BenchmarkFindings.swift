import Posix


/// One of our figures beside its peer's, measured in the same run.
public struct BenchmarkFinding: Sendable, Equatable {
    /// The benchmark it comes from ("JSON-RPC", "queue", ...).
    public var suite: String
    /// What was measured ("p99 latency, 1 conn").
    public var figure: String
    /// Ours, formatted.
    public var ours: String
    /// The peer and its figure, formatted ("aria2: 61.0 us").
    public var peer: String
    /// How many times better ours is, whichever way the figure reads
    /// (time or rate): above 1, ours wins.
    public var advantage: Double
    /// Why ours is behind, for when it is.
    public var whyBehind: String

    public init(suite: String, figure: String, ours: String, peer: String, advantage: Double, whyBehind: String) {
        self.suite = suite
        self.figure = figure
        self.ours = ours
        self.peer = peer
        self.advantage = advantage
        self.whyBehind = whyBehind
    }

    /// Whether ours loses to the peer by more than measurement noise (5%).
    public var isBehind: Bool { advantage.isFinite && advantage < 0.95 }
}

/// Collects the findings of every benchmark in a run, for the report's
/// summary and its "where we are behind" section.
public final class BenchmarkFindings: Sendable {
    private let recorded = Lock<[BenchmarkFinding]>([])

    public init() {}

    /// Records one comparison.
    public func record(_ finding: BenchmarkFinding) {
        recorded.withLock { $0.append(finding) }
    }

    /// Records one comparison; `advantage` above 1 means ours wins.
    public func record(suite: String, figure: String, ours: String, peer: String, advantage: Double, whyBehind: String) {
        record(BenchmarkFinding(suite: suite, figure: figure, ours: ours, peer: peer, advantage: advantage, whyBehind: whyBehind))
    }

    /// Everything recorded so far, in order.
    public var all: [BenchmarkFinding] { recorded.withLock { $0 } }
}
