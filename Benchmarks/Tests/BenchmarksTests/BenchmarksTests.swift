import Benchmarks
import Harness
import JSON
import Testing

@Suite struct BenchmarksTests {
    @Test func loadGeneratorOutputIsRead() throws {
        let line = #"{"connections":8,"duration_s":3.0001,"requests":123456,"errors":0,"rps":41150.2,"p50_us":180.5,"p90_us":200.1,"p99_us":250.9,"max_us":900.0,"mean_us":190.2}"#
        let result = try LoadResult(json: try JSONParser.parse(line))
        #expect(result.connections == 8)
        #expect(result.requests == 123_456)
        #expect(result.requestsPerSecond == 41150.2)
        #expect(result.p99Microseconds == 250.9)
    }

    @Test func incompleteLoadGeneratorOutputIsAnError() {
        #expect(throws: BenchmarkError.self) { _ = try LoadResult(json: ["connections": 1]) }
    }

    @Test func hyperfineExportIsRead() throws {
        let export = #"""
            {"results":[{"command":"vcctl status","mean":0.00112,"stddev":0.0001,"median":0.0011,"user":0.0008,"system":0.0002,"min":0.0009,"max":0.002,"times":[0.001]},
                        {"command":"tsp -l","mean":0.0009,"stddev":0.0001,"median":0.00088,"user":0.0006,"system":0.0001,"min":0.0007,"max":0.0015,"times":[0.001]}]}
            """#
        let timings = try Hyperfine.parse(Array(export.utf8))
        #expect(timings.map(\.command) == ["vcctl status", "tsp -l"])
        #expect(timings[0].meanSeconds == 0.00112)
        #expect(timings[1].minSeconds == 0.0007)
        #expect(throws: (any Error).self) { _ = try Hyperfine.parse(Array(#"{"results":[{"command":"x"}]}"#.utf8)) }
    }

    @Test func tablesAlignTheirColumns() {
        var table = TextTable(header: ["figure", "ours", "peer"])
        table.append(["p50 latency", "57.1 us", "80.2 us"])
        table.append(["throughput", "16.9k/s"])
        let figure = "figure" + String(repeating: " ", count: 5)
        #expect(table.render() == [
            figure + "  " + "   ours" + "  " + "   peer",
            "-----------  -------  -------",
            "p50 latency  57.1 us  80.2 us",
            "throughput   16.9k/s",
        ].joined(separator: "\n"))
    }

    @Test(arguments: [
        (12.345, 1, "12.3"), (12.35, 1, "12.4"), (0.0, 2, "0.00"), (1.005, 0, "1"), (-2.5, 1, "-2.5"), (-0.04, 1, "0.0"),
        (Double.nan, 1, "-"),
    ])
    func fixedPointFormatting(value: Double, digits: Int, text: String) {
        #expect(Format.fixed(value, digits) == text)
    }

    @Test func unitsAndRatios() {
        #expect(Format.rate(16_930) == "16.9k/s")
        #expect(Format.rate(950) == "950/s")
        #expect(Format.micros(57.14) == "57.1 us")
        #expect(Format.millis(0.745) == "0.75 ms")
        #expect(Format.megabytes(kilobytes: 7270) == "7.1 MB")
        #expect(Format.ratio(1.0449) == "1.04x")
    }

    @Test func residentMemoryOfThisProcessIsPlausible() {
        #if os(Linux)
        let kilobytes = ResidentMemory.kilobytes(of: getpid())
        #expect((kilobytes ?? 0) > 1000, "VmRSS of the test process: \(String(describing: kilobytes))")
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct CLIBenchmarkTests {
    /// A timing as hyperfine's export gives it (Timing has no public initializer).
    private func timing(_ command: String, mean: Double, median: Double? = nil, min: Double? = nil) throws -> Hyperfine.Timing {
        let export = #"{"results":[{"command":"\#(command)","mean":\#(mean),"median":\#(median ?? mean),"min":\#(min ?? mean)}]}"#
        return try #require(try Hyperfine.parse(Array(export.utf8)).first)
    }

    @Test func comparisonRowsShowTheRatioOfMeansAgainstTheTarget() throws {
        let status = CLIBenchmark.Comparison(ours: try timing("vcctl status", mean: 0.00095, median: 0.00093, min: 0.00089), peer: try timing("tsp -l", mean: 0.00061), limit: 1)
        #expect(Format.fixed(status.ratio, 3) == "1.557")
        #expect(!status.met)
        #expect(status.cells("vcctl status", peer: "tsp -l (20 jobs)") == [
            "vcctl status", "0.95 ms", "0.93 ms", "0.89 ms", "tsp -l (20 jobs)", "0.61 ms", "1.56x", "<= 1.00x", "no",
        ])
        let submit = CLIBenchmark.Comparison(ours: try timing("vcctl submit", mean: 0.003), peer: try timing("tsp true", mean: 0.002), limit: 2)
        #expect(submit.met)
        #expect(submit.cells("vcctl submit", peer: "tsp true").suffix(3) == ["1.50x", "<= 2.00x", "yes"])
    }

    @Test func aTargetIsMetAtTheLimitAndNeverAgainstAZeroPeer() throws {
        #expect(CLIBenchmark.Comparison(ours: try timing("a", mean: 0.002), peer: try timing("b", mean: 0.002), limit: 1).met)
        #expect(!CLIBenchmark.Comparison(ours: try timing("a", mean: 0.002), peer: try timing("b", mean: 0), limit: 2).met)
    }

    @Test func timingCellsAreMilliseconds() throws {
        #expect(CLIBenchmark.timingCells("tsp true", try timing("tsp true", mean: 0.0012, median: 0.00115, min: 0.0009)) == ["tsp true", "1.20 ms", "1.15 ms", "0.90 ms"])
    }
}

/// The backends suite, run small against the debug build: every kind gives
/// its row, and across a SIGKILL the daemon sends each ComfyUI prompt once
/// while a client holding prompt ids in memory sends some twice.
@Suite struct BackendsBenchmarkTests {
    @Test func everyKindHasItsRowAndARestartSendsNoPromptTwice() throws {
        var settings = BackendsBenchmark.Settings()
        settings.images = 3
        let context = BenchmarkContext(binaries: try Binaries())
        let table = try BackendsBenchmark(settings: settings, context: context).run()
        for kind in ["a1111 (/sdapi/v1/txt2img)", "openai (/v1/images/generations)", "comfyui (/prompt)"] {
            #expect(table.contains(kind), "\(table)")
        }
        let restart = try #require(context.findings.all.first { $0.figure.hasPrefix("comfyui: prompts sent per job") })
        #expect(restart.ours == "1.00", "one prompt a job through the daemon: \(table)")
        #expect(restart.advantage > 1, "the client holding ids in memory sent some prompts again: \(table)")
    }
}

/// The mcp suite, run small against the debug build: each way gives a
/// time a job, and the table has its three rows.
@Suite struct MCPBenchmarkTests {
    @Test func eachWayTimesItsJobsAndTheTableHasTheirRows() throws {
        var settings = MCPBenchmark.Settings()
        settings.calls = 3
        let context = BenchmarkContext(binaries: try Binaries())
        let benchmark = MCPBenchmark(settings: settings, context: context)
        let figures = try benchmark.measure()
        for seconds in [figures.direct, figures.mcp, figures.submitWait] {
            #expect(seconds.isFinite && seconds > 0 && seconds < 60, "\(figures)")
        }
        let table = try benchmark.run()
        for row in ["job.submit + job.wait on the daemon's socket", "vcctl mcp: tools/call generate_image", "vcctl submit --wait"] {
            #expect(table.contains(row), "\(table)")
        }
        #expect(context.findings.all.contains { $0.suite == "mcp" && $0.advantage.isFinite && $0.advantage > 0 })
    }
}
