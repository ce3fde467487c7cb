import JSONRPC
import Posix

/// A blocking client for NDJSON (and other line-oriented) sockets, its lines
/// split by `LineFramer`, with a timeout on every read so that a broken
/// server fails a test or a campaign instead of hanging it. From async code,
/// call it on a thread of its own (`offPool` in the tests).
public final class LineClient: @unchecked Sendable {
    public let descriptor: FileDescriptor
    /// Lines: a test reads whatever the server sends, so no bound.
    private var framer = LineFramer(maximumLineLength: .max)
    /// Bytes read but not framed: after `readExactly`, what came behind.
    private var unframed: [UInt8] = []
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
            throw HarnessError("the server closed the connection instead of sending a line")
        }
        return line
    }

    /// Reads one line, or nil at end of file; throws on timeout.
    public func readLineOrEOF(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> String? {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        var line: String?
        // One line at a time: the framer pauses after it, keeping the rest.
        let take = { (bytes: UnsafeRawBufferPointer) -> Bool in
            line = String(decoding: bytes, as: UTF8.self)
            return false
        }
        _ = framer.resume(onLine: take)
        while line == nil {
            guard let bytes = try nextBytes(until: deadline) else {
                if framer.bufferedByteCount == 0 { return nil }
                throw HarnessError("end of file after a partial line: \(String(decoding: framer.takeBuffered(), as: UTF8.self))")
            }
            _ = bytes.withUnsafeBytes { framer.feed($0, onLine: take) }
        }
        return line
    }

    /// Reads exactly `count` bytes; throws on timeout or end of file.
    public func readExactly(_ count: Int, timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [UInt8] {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        var bytes = framer.takeBuffered()
        while bytes.count < count {
            guard let more = try nextBytes(until: deadline) else {
                throw HarnessError("end of file after \(bytes.count) of \(count) bytes")
            }
            bytes += more
        }
        unframed = Array(bytes[count...])
        return Array(bytes.prefix(count))
    }

    /// Reads `count` lines.
    public func readLines(_ count: Int, timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [String] {
        try (0..<count).map { _ in try readLine(timeout: timeout) }
    }

    /// Reads until the server closes the connection; returns what came.
    public func readToEndOfFile(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> [UInt8] {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        var bytes = framer.takeBuffered()
        while let more = try nextBytes(until: deadline) { bytes += more }
        return bytes
    }

    /// True if the server closes the connection (end of file or reset) before
    /// `timeout`, with nothing more to read.
    public func isClosedByServer(timeout: Duration = TestTime.scaled(.seconds(30))) throws -> Bool {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        do {
            while try nextBytes(until: deadline) != nil {}
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

    /// What `readExactly` left, else what the socket has next (waiting until
    /// `deadline`); nil at end of file.
    private func nextBytes(until deadline: MonotonicInstant) throws -> [UInt8]? {
        if !unframed.isEmpty {
            defer { unframed = [] }
            return unframed
        }
        while true {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, try Poll.wait(for: descriptor, events: .readable, timeout: left) else {
                throw HarnessError("timed out waiting for the server")
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            switch try chunk.withUnsafeMutableBytes({ try descriptor.read(into: $0) }) {
            case .bytes(let count): return Array(chunk[0..<count])
            case .endOfFile: return nil
            case .wouldBlock: continue
            }
        }
    }
}
