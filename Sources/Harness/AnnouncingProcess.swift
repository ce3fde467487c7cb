import Posix

/// Servers that print `listening on http://HOST:PORT` on their first line of
/// standard output once they accept connections (the emulator does).
public enum AnnouncingProcess {
    /// Starts the server and waits (bounded) for its announcement.
    public static func start(name: String, executable: String, arguments: [String], timeout: Duration = .seconds(20)) throws -> (ServerProcess, UInt16) {
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: executable, arguments: arguments)
        options.standardOutput = .descriptor(output.write)
        let child = try ChildProcess.spawn(options)
        try? output.write.close()
        defer { try? output.read.close() }
        let server = ServerProcess(name: name, child: child)
        var line: [UInt8] = []
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while !line.contains(0x0A) {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, try Poll.wait(for: output.read, events: .readable, timeout: left) else {
                server.stop()
                throw HarnessError("\(name) did not announce its port within \(timeout.seconds) s")
            }
            var chunk = [UInt8](repeating: 0, count: 256)
            let result = try chunk.withUnsafeMutableBytes { try output.read.read(into: $0) }
            guard case .bytes(let count) = result, count > 0 else {
                server.stop()
                throw HarnessError("\(name) exited before announcing its port")
            }
            line += chunk.prefix(count)
        }
        let text = String(decoding: line.prefix { $0 != 0x0A }, as: UTF8.self)
        guard text.hasPrefix("listening on "), let port = text.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            server.stop()
            throw HarnessError("\(name) announced '\(text)', not 'listening on http://HOST:PORT'")
        }
        return (server, port)
    }
}
