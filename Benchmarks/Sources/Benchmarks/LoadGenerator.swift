import Harness
import JSON
import Posix

/// Drives `visioncraft-loadgen`, the one client used against every server so
/// that ratios compare servers, not clients.
public struct LoadGenerator: Sendable {
    /// What to talk to.
    public enum Target: Sendable {
        /// NDJSON lines over a Unix socket.
        case unix(path: String, line: String)
        /// HTTP/1.1 keep-alive POSTs over TCP.
        case http(port: UInt16, path: String, body: String)
        /// HTTP/1.1 keep-alive GETs over TCP.
        case httpGet(port: UInt16, path: String)
    }

    public let executable: String
    public var duration: Duration
    public var warmup: Duration

    public init(executable: String, duration: Duration, warmup: Duration = .milliseconds(500)) {
        self.executable = executable
        self.duration = duration
        self.warmup = warmup
    }

    /// Runs a closed loop with `connections` connections and returns what it measured.
    public func run(_ target: Target, connections: Int) throws -> LoadResult {
        var arguments: [String]
        switch target {
        case .unix(let path, let line):
            arguments = ["--unix", path, "--ndjson", line]
        case .http(let port, let path, let body):
            arguments = ["--tcp", "127.0.0.1:\(port)", "--http", path, body]
        case .httpGet(let port, let path):
            arguments = ["--tcp", "127.0.0.1:\(port)", "--get", path]
        }
        arguments += [
            "--connections", String(connections),
            "--duration", Format.fixed(duration.seconds, 3),
            "--warmup", Format.fixed(warmup.seconds, 3),
        ]
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: executable, arguments: arguments)
        options.standardOutput = .descriptor(output.write)
        let child = try ChildProcess.spawn(options)
        try? output.write.close()
        let bytes = try output.read.readAll()
        try? output.read.close()
        let termination = try child.wait()
        guard termination == .exited(0) else {
            throw BenchmarkError("visioncraft-loadgen \(termination) (\(arguments.joined(separator: " ")))")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").last else {
            throw BenchmarkError("visioncraft-loadgen printed nothing")
        }
        let result = try LoadResult(json: try JSONParser.parse(String(line)))
        if result.errors > 0 {
            throw BenchmarkError("\(result.errors) of \(result.requests) requests failed against \(target)")
        }
        return result
    }
}
