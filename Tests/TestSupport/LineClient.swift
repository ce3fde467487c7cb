import Posix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test error with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking client for line-oriented sockets, with a timeout on every read
/// so a broken server fails a test instead of hanging it. Use it inside
/// `offPool` from async tests.
public final class LineClient: @unchecked Sendable {
    public let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var closed = false

    /// Connects to the Unix socket at `path`.
    public init(path: String) throws {
        descriptor = try UnixSocket.connect(to: path)
    }

    /// Wraps a connected descriptor (one end of a socket pair, a pipe's
    /// read end). The client owns it: it closes it in `close()` or when it
    /// goes away, so nobody else may.
    public init(descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Sends `text` as is (add "\n" yourself to end a line).
    public func send(_ text: String) throws {
        try UnixSocket.sendAll(descriptor, Array(text.utf8))
    }

    /// Sends raw bytes.
    public func send(bytes: [UInt8]) throws {
        try UnixSocket.sendAll(descriptor, bytes)
    }

    /// Sends `line` followed by a newline.
    public func sendLine(_ line: String) throws {
        try send(line + "\n")
    }

    /// Reads one line (without its newline); throws on timeout or end of file.
    public func readLine(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> String {
        guard let line = try readLineOrEOF(timeout: timeout) else {
            throw TestFailure("the server closed the connection instead of sending a line")
        }
        return line
    }

    /// Reads one line, or nil at end of file; throws on timeout.
    public func readLineOrEOF(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> String? {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard try fill(until: deadline) else {
                if buffer.isEmpty { return nil }
                throw TestFailure("end of file after a partial line: \(String(decoding: buffer, as: UTF8.self))")
            }
        }
    }

    /// Reads exactly `count` bytes; throws on timeout or end of file.
    public func readExactly(_ count: Int, timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [UInt8] {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while buffer.count < count {
            guard try fill(until: deadline) else {
                throw TestFailure("end of file after \(buffer.count) of \(count) bytes")
            }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    /// Reads `count` lines.
    public func readLines(_ count: Int, timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [String] {
        try (0..<count).map { _ in try readLine(timeout: timeout) }
    }

    /// Reads until the server closes the connection; returns what came.
    public func readToEndOfFile(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [UInt8] {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while try fill(until: deadline) {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True if the server closes the connection (end of file or reset) before
    /// `timeout`, with nothing more to read.
    public func isClosedByServer(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> Bool {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        do {
            while try fill(until: deadline) {}
        } catch let error as SystemError where error.isDisconnect {
            return true
        }
        return true
    }

    /// Shuts down the sending side (the server sees end of input).
    public func shutdownWrite() {
        shutdown(descriptor.rawValue, Int32(SHUT_WR))
    }

    public func close() {
        guard !closed else { return }
        closed = true
        try? descriptor.close()
    }

    /// Reads more into the buffer. Returns false at end of file.
    private func fill(until deadline: MonotonicInstant) throws -> Bool {
        let left = MonotonicInstant.now().duration(to: deadline)
        guard left > .zero, try Poll.wait(for: descriptor, events: .readable, timeout: left) else {
            throw TestFailure("timed out waiting for the server")
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
        switch result {
        case .bytes(let count):
            buffer.append(contentsOf: chunk[0..<count])
            return true
        case .endOfFile:
            return false
        case .wouldBlock:
            return true
        }
    }
}
