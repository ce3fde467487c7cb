import JSON
import JSONRPC
import Posix
import Synchronization

/// `vcctl mcp` as an MCP client launches it: a child process whose stdin
/// and stdout are pipes of ours, one JSON message a line; stderr goes to a
/// file (`errorLog`). Blocking: use from `offPool`.
public final class MCPClientProcess: @unchecked Sendable {
    public let child: ChildProcess
    private let input: FileDescriptor
    private let output: FileDescriptor
    private var framer = LineFramer(maximumLineLength: 64 << 20)
    private var pending: [JSON] = []
    public let errorLog: String
    private var nextID = 1000

    /// - Parameters:
    ///   - arguments: vcctl's arguments before `mcp` (the socket, --no-start).
    ///   - command: the command and its arguments, as a client's configuration names them.
    public init(arguments: [String], command: [String] = ["mcp"], environment: [String: String], errorLog: String) throws {
        let toChild = try FileDescriptor.pipe()
        let fromChild = try FileDescriptor.pipe()
        let errors = try FileDescriptor.open(errorLog, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, mode: 0o600)
        var options = ChildProcess.Options(executable: try BuiltProducts.path("vcctl"), arguments: arguments + command, environment: environment)
        options.standardInput = .descriptor(toChild.read)
        options.standardOutput = .descriptor(fromChild.write)
        options.standardError = .descriptor(errors)
        child = try ChildProcess.spawn(options)
        try? toChild.read.close()
        try? fromChild.write.close()
        try? errors.close()
        input = toChild.write
        output = fromChild.read
        self.errorLog = errorLog
    }

    /// Writes a line as it is (to test what a bad client sends).
    public func sendLine(_ line: String) throws {
        try input.writeAll(line + "\n")
    }

    public func send(_ message: JSON) throws {
        try input.writeAll(JSONSerializer.serializeToString(message) + "\n")
    }

    /// The next message, or a failure after `timeout`.
    public func next(timeout: Duration = TestTime.scaled(.seconds(60))) throws -> JSON {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while pending.isEmpty {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, try Poll.wait(for: output, events: .readable, timeout: left) else {
                throw TestFailure("no message from vcctl mcp within \(timeout); its stderr: \(stderrText())")
            }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let result = try buffer.withUnsafeMutableBytes { try output.read(into: $0) }
            guard case .bytes(let count) = result else { throw TestFailure("vcctl mcp closed its output; its stderr: \(stderrText())") }
            _ = buffer.withUnsafeBytes { bytes in
                framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { line in
                    pending.append((try? JSONParser.parse(line)) ?? .string("unparsable: " + String(decoding: line, as: UTF8.self)))
                    return true
                }
            }
        }
        return pending.removeFirst()
    }

    /// Sends a request and returns its answer, with the messages that came before it.
    public func request(_ method: String, _ params: JSON = [:], id: Int? = nil, timeout: Duration = TestTime.scaled(.seconds(60))) throws -> (answer: JSON, notes: [JSON]) {
        let id = id ?? { nextID += 1; return nextID }()
        try send(["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": params])
        return try answer(to: id, timeout: timeout)
    }

    /// Reads until the answer to `id`.
    public func answer(to id: Int, timeout: Duration = TestTime.scaled(.seconds(60))) throws -> (answer: JSON, notes: [JSON]) {
        var notes: [JSON] = []
        while true {
            let message = try next(timeout: timeout)
            if message["id"]?.intValue == id, message["method"] == nil { return (message, notes) }
            notes.append(message)
        }
    }

    /// Opens a legacy session.
    @discardableResult
    public func initialize(version: String = "2025-11-25") throws -> JSON {
        let opened = try request("initialize", ["protocolVersion": .string(version), "capabilities": [:], "clientInfo": ["name": "visioncraft-tests", "version": "1"]]).answer
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return opened
    }

    public func stderrText() -> String {
        (try? FileSystem.readFile(errorLog)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Closes stdin (the spec's shutdown) and waits for the exit.
    public func close() throws -> ChildProcess.Termination {
        closeInput()
        let termination = try child.wait()
        closeOutput()
        return termination
    }

    /// Kills it (after a failed test; after `close` it only waits).
    public func kill() {
        child.send(.kill)
        _ = try? child.wait()
        closeInput()
        closeOutput()
    }

    // Each pipe end is closed once: a second close would close whatever
    // another test running in this process opened under the same number
    // since (a job database, a socket).
    private let closed = Mutex<(input: Bool, output: Bool)>((false, false))

    private func closeInput() {
        if closed.withLock({ state in defer { state.input = true }; return !state.input }) { try? input.close() }
    }

    private func closeOutput() {
        if closed.withLock({ state in defer { state.output = true }; return !state.output }) { try? output.close() }
    }
}
