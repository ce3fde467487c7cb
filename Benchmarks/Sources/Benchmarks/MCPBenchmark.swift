import Harness
import JSON
import JSONRPC
import Posix

/// What `vcctl mcp` adds to a job: `tools/call generate_image` that waits
/// for its one image, on the daemon's emulator at zero latency, one call
/// after the other from one long-lived server process (as an assistant's
/// client keeps it), beside the same job submitted and waited for over
/// the daemon's socket directly (the floor: what the daemon itself costs)
/// and through `vcctl submit --wait` (a process a job, as a script runs it).
public struct MCPBenchmark {
    public struct Settings: Sendable {
        /// Jobs each way, one image each.
        public var calls = 100
        public init() {}
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    /// Per call, in seconds, each way.
    public struct Figures: Sendable {
        public var direct: Double
        public var mcp: Double
        public var submitWait: Double
    }

    /// Runs the three ways and returns the report's table.
    public func run() throws -> String {
        let figures = try measure()
        let added = (figures.mcp - figures.direct) * 1000
        context.findings.record(
            suite: "mcp", figure: "tools/call generate_image (wait, one image), per call",
            ours: Format.millis(figures.mcp * 1000) + " a call",
            peer: "vcctl submit --wait: \(Format.millis(figures.submitWait * 1000))", advantage: figures.submitWait / figures.mcp,
            whyBehind: "a call is a JSON-RPC message parsed, checked against the tool's schema, sent to the daemon as job.submit "
                + "and job.wait over a connection of its own, and answered with the job and its resource links"
        )
        var table = TextTable(header: ["one image a job, in order", "per job", "vs the socket directly"])
        table.append(["job.submit + job.wait on the daemon's socket (floor)", Format.millis(figures.direct * 1000), "-"])
        table.append([
            "vcctl mcp: tools/call generate_image (wait)", Format.millis(figures.mcp * 1000),
            "+" + Format.millis(added) + (added < 2 ? " (goal: under 2 ms, met)" : " (goal: under 2 ms, missed)"),
        ])
        table.append([
            "vcctl submit --wait (a process a job)", Format.millis(figures.submitWait * 1000),
            "+" + Format.millis((figures.submitWait - figures.direct) * 1000),
        ])
        return table.render()
            + "\n(\(settings.calls) jobs each way on one daemon with its emulator at zero latency; the MCP server is one process "
            + "for every call, as an assistant's client keeps it; MCP vs vcctl submit --wait: "
            + Format.ratio(figures.submitWait / figures.mcp) + ", above 1.00x means the MCP call is faster)\n"
    }

    /// Times the three ways on one daemon.
    public func measure() throws -> Figures {
        let scratch = try TemporaryDirectory(prefix: "vcbench-mcp-")
        defer { scratch.remove() }
        let home = "\(scratch.path)/daemon"
        let daemon = try SandboxedDaemon.start(context.binaries, folder: home, arguments: ["--emulator", "--requests-per-minute", "0"])
        defer { daemon.server.stop() }
        let vcctl = try context.binaries.ours("vcctl")
        let environment = Sandbox.environment(home: home)
        let calls = settings.calls

        context.print("  \(calls) jobs: job.submit + job.wait on the socket ...")
        let direct = try BackendsBenchmark.submitAndWait(daemon.socket, images: calls, params: "").seconds
        context.print("  \(calls) jobs: tools/call generate_image through one vcctl mcp ...")
        let mcp = try mcpCalls(vcctl, socket: daemon.socket, environment: environment, count: calls)
        context.print("  \(calls) jobs: vcctl submit --wait ...")
        let started = MonotonicInstant.now()
        for index in 0..<calls {
            var options = ChildProcess.Options(
                executable: vcctl, arguments: ["--socket", daemon.socket, "--no-start", "submit", "bench \(index)", "--wait"], environment: environment
            )
            options.standardOutput = .null
            options.standardError = .null
            guard try ChildProcess.spawn(options).wait() == .exited(0) else { throw BenchmarkError("vcctl submit --wait failed") }
        }
        let submitWait = started.elapsed.seconds
        return Figures(direct: direct / Double(calls), mcp: mcp / Double(calls), submitWait: submitWait / Double(calls))
    }

    /// `count` waiting generate_image calls through one `vcctl mcp` (a
    /// session opened first, not timed); seconds.
    private func mcpCalls(_ vcctl: String, socket: String, environment: [String: String], count: Int) throws -> Double {
        let toServer = try FileDescriptor.pipe()
        let fromServer = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: vcctl, arguments: ["--socket", socket, "--no-start", "mcp"], environment: environment)
        options.standardInput = .descriptor(toServer.read)
        options.standardOutput = .descriptor(fromServer.write)
        options.standardError = .null
        let server = try ChildProcess.spawn(options)
        try? toServer.read.close()
        try? fromServer.write.close()
        let answers = LineClient(descriptor: fromServer.read)
        defer {
            try? toServer.write.close()
            _ = try? server.wait()
            answers.close()
        }
        func call(_ id: Int, _ method: String, _ params: String) throws -> JSON {
            try toServer.write.writeAll(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"# + "\n")
            while true {
                let message = try JSONParser.parse(Array(try answers.readLine(timeout: .seconds(120)).utf8))
                if message["id"]?.intValue == id { return message }
            }
        }
        let opened = try call(0, "initialize", #"{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"visioncraft-bench","version":"1"}}"#)
        guard opened["result"]?["protocolVersion"] != nil else { throw BenchmarkError("vcctl mcp refused initialize: \(opened)") }
        try toServer.write.writeAll(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n")
        let started = MonotonicInstant.now()
        for index in 0..<count {
            let params = #"{"name":"generate_image","arguments":{"prompt":"bench \#(index)","image_count":1,"wait_seconds":60}}"#
            let answer = try call(index + 1, "tools/call", params)
            guard answer["result"]?["isError"] != true, answer["result"]?["structuredContent"]?["job"]?["state"] == "succeeded" else {
                throw BenchmarkError("generate_image did not succeed: \(answer)")
            }
        }
        return started.elapsed.seconds
    }
}
