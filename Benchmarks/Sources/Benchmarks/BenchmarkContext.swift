import Harness

/// What every benchmark is given: the binaries under test, where its
/// comparisons with peers go (for the report), and where its progress
/// lines go.
public struct BenchmarkContext: Sendable {
    public let binaries: Binaries
    public let findings: BenchmarkFindings
    public let print: @Sendable (String) -> Void

    public init(binaries: Binaries, findings: BenchmarkFindings = .init(), print: @escaping @Sendable (String) -> Void = { _ in }) {
        self.binaries = binaries
        self.findings = findings
        self.print = print
    }
}
