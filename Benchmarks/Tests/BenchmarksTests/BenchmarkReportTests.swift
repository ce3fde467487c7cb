@testable import Benchmarks
import Posix
import Testing
import TestSupport

@Suite struct SVGLineChartTests {
    @Test func axesSpanWholeDecadesAndLabelThemShortly() {
        #expect(SVGLineChart.decades([1, 100_000]) == 0...5)
        #expect(SVGLineChart.decades([64.4, 88.8]) == 1...2)
        #expect(SVGLineChart.decades([7, 7]) == 0...1, "at least one decade")
        #expect(SVGLineChart.decades([0.5, 3]) == -1...1)
        #expect((0...7).map(SVGLineChart.tickLabel) == ["1", "10", "100", "1k", "10k", "100k", "1M", "10M"])
        #expect(SVGLineChart.tickLabel(-2) == "0.01")
        #expect(SVGLineChart.number(12) == "12" && SVGLineChart.number(1.5) == "1.50")
    }

    @Test func everySeriesIsALineInItsPanelWithItsLegend() throws {
        let chart = SVGLineChart(panels: [
            .init(title: "jobs", xLabel: "jobs", yLabel: "us", series: [
                .init(name: "status <p99>", points: [(1, 10), (10, 100), (100, 1000)]),
                .init(name: "aria2", points: [(1, 20), (100, 40)], dashed: true),
            ]),
            .init(title: "clients", xLabel: "clients", yLabel: "us", series: [.init(name: "ours", points: [(1, 5), (500, 9000), (0, 3)])]),
        ])
        let svg = chart.render()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"840\" height=\"300\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.split(separator: "<polyline").count - 1 == 3)
        #expect(svg.split(separator: "stroke-dasharray").count - 1 == 2, "the peer's line and its legend swatch")
        #expect(svg.contains("status &lt;p99&gt;"), "names are escaped")
        #expect(!svg.contains("<p99>"))
        // Log scale: 10 sits halfway between 1 and 100 across the first panel's plot (x 62 to 404).
        let first = try #require(svg.split(separator: "<polyline points=\"").dropFirst().first?.split(separator: "\"").first)
        let xs = first.split(separator: " ").map { Double($0.split(separator: ",")[0])! }
        #expect(xs == [62, 233, 404])
        #expect(svg.split(separator: "<circle").count - 1 == 7, "the point at x = 0 cannot sit on a log axis and is left out")
    }
}

@Suite struct BenchmarkReportTests {
    @Test func theReportPutsEachFigureBesideItsPeerAndExplainsWhereWeAreBehind() {
        let findings = BenchmarkFindings()
        findings.record(suite: "JSON-RPC", figure: "p99 latency, 1 conn", ours: "80 us", peer: "aria2: 150 us", advantage: 1.875, whyBehind: "never shown")
        findings.record(suite: "queue", figure: "durable job.submit, 1 client", ours: "1.2k/s", peer: "sqlite3: 2.2k/s", advantage: 0.55, whyBehind: "each submit writes six pages")
        findings.record(suite: "queue", figure: "noise", ours: "1", peer: "x: 1", advantage: 0.97, whyBehind: "within noise")
        findings.record(suite: "queue", figure: "16 clients", ours: "3k/s", peer: "sqlite3: 3.8k/s", advantage: 0.8, whyBehind: "each submit writes six pages")
        let report = BenchmarkReport(
            date: "2026-11-30T14:00:00Z", machine: [("processor", "some | cpu")], sections: [.init(title: "The queue", text: "a table")],
            findings: findings.all, plot: "BENCHMARKS-scaling.svg", scaling: "scaling table"
        )
        let text = report.markdown()
        #expect(text.hasPrefix("# Benchmarks\n"))
        #expect(text.contains("| processor | some \\| cpu |"), "pipes cannot break a table")
        #expect(text.contains("| JSON-RPC | p99 latency, 1 conn | 80 us | aria2: 150 us | 1.88x |"))
        #expect(text.contains("| queue | durable job.submit, 1 client | 1.2k/s | sqlite3: 2.2k/s | **0.55x** |"))
        #expect(text.contains("| queue | noise | 1 | x: 1 | 0.97x |"), "5% is noise, not behind")
        #expect(text.contains("![Latency against jobs held and against clients at once](BENCHMARKS-scaling.svg)"))
        let behind = text.split(separator: "## Where we are behind, and why").last.map(String.init) ?? ""
        #expect(behind.contains("- **durable job.submit, 1 client** (queue): ours 1.2k/s, sqlite3: 2.2k/s, 0.55x; **16 clients** (queue): ours 3k/s, sqlite3: 3.8k/s, 0.80x. Each submit writes six pages."), "one item per reason")
        #expect(behind.ranges(of: "six pages").count == 1, "the reason once")
        #expect(!behind.contains("never shown") && !behind.contains("within noise"))
        #expect(text.contains("### The queue\n\n```text\na table\n```"))

        let winning = BenchmarkReport(date: "d", machine: [], sections: [], findings: [], plot: nil, scaling: nil).markdown()
        #expect(winning.contains("Nowhere in this run."))
        #expect(!winning.contains("How cost grows"))
    }

    /// Comments in the code point to these notes instead of carrying
    /// figures: the report writes them again, and the checked-in
    /// BENCHMARKS.md has them as the report writes them.
    @Test func theNotesFromProfilesAreInTheReportAndInBenchmarksMarkdown() throws {
        let part = ProfileNotes.markdown.joined(separator: "\n") + "\n\n## Every table\n"
        let report = BenchmarkReport(date: "d", machine: [], sections: [], findings: [], plot: nil, scaling: nil).markdown()
        #expect(report.contains(part))
        let file = String(decoding: try FileSystem.readFile(ManualPage.repositoryRoot + "/BENCHMARKS.md"), as: UTF8.self)
        #expect(file.contains(part), "BENCHMARKS.md's \"\(ProfileNotes.title)\" differs from Benchmarks/Sources/Benchmarks/ProfileNotes.swift")
    }

    @Test func theMachineIsDescribed() {
        let rows = BenchmarkReport.describeMachine()
        let names = rows.map(\.0)
        #expect(names.starts(with: ["system", "processor"]))
        #expect(names.contains("sqlite3 (library)"))
        #expect(rows.first { $0.0 == "sqlite3 (library)" }?.1.hasPrefix("3.") == true)
    }

    @Test(arguments: [
        (["report", "rpc"], "report runs every benchmark; name none with it"),
        (["--duration", "0"], "--duration needs a number of seconds above 0"),
        (["report", "--out"], "--out needs a file name"),
        (["--connections", "1,,8"], "--connections needs a list of positive counts"),
        (["bogus"], "unknown argument 'bogus'"),
    ])
    func wrongArgumentsAreUsageErrors(arguments: [String], message: String) async throws {
        let output = try await offPool { try runProcess(try BuiltProducts.path("visioncraft-bench"), arguments) }
        #expect(output.status == 64)
        #expect(output.standardError.contains(message), "\(output.standardError)")
        #expect(output.standardError.contains("Usage: visioncraft-bench"))
    }
}
