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
        let server = ServerProcess(name: name, child: child)
        let reader = LineClient(descriptor: output.read)
        defer { reader.close() }
        let line: String?
        do {
            line = try reader.readLineOrEOF(timeout: timeout)
        } catch {
            server.stop()
            throw HarnessError("\(name) did not announce its port within \(timeout.seconds) s: \(error)")
        }
        guard let text = line else {
            server.stop()
            throw HarnessError("\(name) exited before announcing its port")
        }
        guard text.hasPrefix("listening on "), let port = text.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            server.stop()
            throw HarnessError("\(name) announced '\(text)', not 'listening on http://HOST:PORT'")
        }
        return (server, port)
    }
}
