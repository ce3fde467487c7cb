import Daemon
import Harness
import JSONRPC
import Posix

/// The JSON-RPC surface, in process: a real daemon (no key, an upstream that
/// refuses, so nothing is generated) on a Unix socket in a private folder.
/// Each input goes to it as one or more lines, followed by a `daemon.status`
/// of our own; the input passes when that answer comes back within the time
/// limit, on the same connection or, if the daemon closed it (an oversized
/// line), on a new one. A daemon that an input stopped (`daemon.shutdown`)
/// is started again. In process, libFuzzer sees the daemon's coverage.
public final class RPCFuzzTarget {
    private let folder: String
    private var daemon: Daemon?
    private var runner: OSThread?
    private var connection: FileDescriptor?
    /// Replies to our connection: the daemon bounds them, we take them all.
    private var framer = LineFramer(maximumLineLength: .max)
    private var sentinel = 0
    /// How long one input may take before it counts as a hang.
    public var timeLimit: Duration = .seconds(10)
    /// Inputs run, and daemons started (more than one: an input stopped it).
    public private(set) var runs = 0
    public private(set) var starts = 0

    public init() throws {
        Signals.ignoreBrokenPipe()
        folder = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/visioncraft-fuzz-")
    }

    deinit {
        stopDaemon()
        TemporaryDirectory.removeTree(folder)
    }

    private var socketPath: String { "\(folder)/run/d.sock" }

    /// Sends `input` and checks that the daemon still answers.
    public func run(_ input: [UInt8]) throws(FuzzFailure) {
        runs += 1
        sentinel += 1
        let check = Array(#"{"jsonrpc":"2.0","id":"fuzz-sentinel-\#(sentinel)","method":"daemon.status"}"#.utf8) + [0x0A]
        let message = input.last == 0x0A ? input : input + [0x0A]
        if (try? send(message)) == nil {
            // Closed under us (an oversized line before this one): once more.
            reconnect()
            _ = try? send(message)
        }
        if (try? send(check)) != nil, awaitSentinel() { return }
        // The daemon closed the connection (fair for an oversized line) or
        // stopped (fair for daemon.shutdown): a new connection must work.
        reconnect()
        guard (try? send(check)) != nil, awaitSentinel() else {
            throw FuzzFailure("the daemon stopped answering daemon.status after \(input.count) bytes: \(FuzzFailure.show(input))")
        }
    }

    // MARK: Private

    private func startDaemon() throws(FuzzFailure) {
        var options = DaemonOptions()
        options.socketPath = socketPath
        options.stateDirectory = "\(folder)/state"
        options.set("jobs.output_dir", "\(folder)/pictures")
        options.set("upstream.url", "http://127.0.0.1:9")
        options.set("queue.requests_per_minute", 0)
        options.shutdownTimeout = .milliseconds(200)
        let environment = Environment(["HOME": folder, "XDG_RUNTIME_DIR": "\(folder)/run", "XDG_CONFIG_HOME": "\(folder)/config", "XDG_DATA_HOME": "\(folder)/data"])
        let log: Logger
        do {
            log = try Logger(file: "\(folder)/daemon.log", minimumLevel: .error)
        } catch {
            throw FuzzFailure("cannot open the daemon log: \(error)")
        }
        let started = Daemon(options: options, environment: environment, log: log)
        let thread: OSThread
        do {
            thread = try OSThread.spawn(name: "fuzz-daemon") { _ = started.run() }
        } catch {
            throw FuzzFailure("cannot start the daemon's thread: \(error)")
        }
        guard started.wait(for: .serving, timeout: .seconds(30)) else {
            thread.join()
            throw FuzzFailure("the daemon did not start; see \(folder)/daemon.log")
        }
        daemon = started
        runner = thread
        starts += 1
    }

    private func stopDaemon() {
        connection.map { try? $0.close() }
        connection = nil
        if let daemon {
            _ = daemon.requestStop(.signal(.terminate))
            runner?.join()
        }
        daemon = nil
        runner = nil
    }

    /// A fresh connection; the daemon started (again) if it is not serving.
    private func reconnect() {
        connection.map { try? $0.close() }
        connection = nil
        framer = LineFramer(maximumLineLength: .max)
        // A daemon on its way out (an input asked for daemon.shutdown) may
        // still accept a connection it then closes: wait for its end.
        let stopping = daemon?.wait(for: .stopping, timeout: .zero) ?? true
        if !stopping, let descriptor = try? UnixSocket.connect(to: socketPath) {
            connection = descriptor
            return
        }
        stopDaemon()
        try? startDaemon()
        connection = try? UnixSocket.connect(to: socketPath)
    }

    private func send(_ bytes: [UInt8]) throws {
        if connection == nil { reconnect() }
        guard let connection else { throw FuzzFailure("no connection") }
        try connection.writeAll(bytes)
    }

    /// Reads lines until the answer to our own request, or the time limit.
    private func awaitSentinel() -> Bool {
        guard let connection else { return false }
        let needle = Array("\"fuzz-sentinel-\(sentinel)\"".utf8)
        let deadline = MonotonicInstant.now().advanced(by: timeLimit)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var found = false
        // Pauses after the sentinel's answer: what came behind it stays buffered.
        let look = { (line: UnsafeRawBufferPointer) -> Bool in
            found = Self.contains(line, needle)
            return !found
        }
        _ = framer.resume(onLine: look)
        while !found {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, (try? Poll.wait(for: connection, events: .readable, timeout: left)) == true else { return false }
            let result = try? chunk.withUnsafeMutableBytes { try connection.read(into: $0) }
            switch result {
            case .bytes(let count)?: _ = chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[..<count]), onLine: look) }
            case .wouldBlock?: continue
            default: return false
            }
        }
        return true
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
