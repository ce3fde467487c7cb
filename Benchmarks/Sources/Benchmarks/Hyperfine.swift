import JSON
import Posix

/// Runs `hyperfine` on whole commands and reads its JSON export.
public struct Hyperfine: Sendable {
    /// One command's timing.
    public struct Timing: Sendable, Equatable {
        public var command: String
        public var meanSeconds: Double
        public var medianSeconds: Double
        public var minSeconds: Double
    }

    public let executable: String

    /// Finds hyperfine on PATH.
    public init() throws(BenchmarkError) {
        guard let path = ProcessEnvironment.findExecutable(named: "hyperfine") else {
            throw BenchmarkError("hyperfine is not installed (apt-get install hyperfine / brew install hyperfine)")
        }
        executable = path
    }

    /// Times `commands` (no shell: `-N`), after a warm-up.
    public func time(_ commands: [String], runs: Int, warmup: Int, exportTo path: String, environment: [String: String]? = nil) throws -> [Timing] {
        var options = ChildProcess.Options(
            executable: executable,
            arguments: ["-N", "--style", "none", "--warmup", String(warmup), "--runs", String(runs), "--export-json", path] + commands,
            environment: environment
        )
        options.standardOutput = .null
        let child = try ChildProcess.spawn(options)
        let termination = try child.wait()
        guard termination == .exited(0) else { throw BenchmarkError("hyperfine \(termination)") }
        return try Self.parse(try FileSystem.readFile(path))
    }

    /// Reads hyperfine's `--export-json` output.
    public static func parse(_ bytes: [UInt8]) throws -> [Timing] {
        let document = try JSONParser.parse(bytes)
        guard let results = document["results"]?.arrayValue else {
            throw BenchmarkError("hyperfine's JSON has no results")
        }
        return try results.map { result in
            guard let command = result["command"]?.stringValue, let mean = result["mean"]?.doubleValue,
                let median = result["median"]?.doubleValue, let minimum = result["min"]?.doubleValue
            else { throw BenchmarkError("hyperfine's JSON lacks command/mean/median/min: \(result)") }
            return Timing(command: command, meanSeconds: mean, medianSeconds: median, minSeconds: minimum)
        }
    }
}
