import JSONRPC
import Posix

/// One connection of a fuzzing run: writes inputs as lines, while a thread of
/// its own drains the daemon's replies (so neither side's buffers fill up and
/// stall the other), counts them and notices the checkpoint replies.
final class FuzzConnection: Sendable {
    /// What the reader has seen so far.
    struct Seen: Sendable {
        var replies = 0
        var parseErrors = 0
        var invalidRequests = 0
        var otherErrors = 0
        var checkpoints: Set<String> = []
        var closed = false

        /// Adds another connection's reply counts to these.
        mutating func add(_ other: Seen) {
            replies += other.replies
            parseErrors += other.parseErrors
            invalidRequests += other.invalidRequests
            otherErrors += other.otherErrors
        }
    }

    let descriptor: FileDescriptor
    let seen = ThreadCondition(Seen())
    private let reader: OSThread

    init(socket: String) throws {
        let descriptor = try UnixSocket.connect(to: socket)
        self.descriptor = descriptor
        let seen = seen
        reader = try OSThread.spawn(name: "fuzz-reader") {
            Self.read(descriptor, into: seen)
        }
    }

    /// Sends `bytes` and a newline (or no newline: half a message); false
    /// when the daemon has closed the connection.
    func send(_ bytes: [UInt8], newline: Bool = true) -> Bool {
        do {
            try descriptor.writeAll(newline ? bytes + [0x0A] : bytes)
            return true
        } catch {
            return false
        }
    }

    /// Waits until the reply to checkpoint `id` arrived (true) or the
    /// connection closed (false); throws after `timeout`.
    func waitForCheckpoint(_ id: String, timeout: Duration) throws(ReliabilityError) -> Bool {
        var answered = false
        let settled = seen.wait(timeout: timeout) { state in state.checkpoints.contains(id) || state.closed }
        guard settled else { throw ReliabilityError("no answer to checkpoint \(id) within \(timeout): the daemon stopped answering") }
        seen.update { state in
            answered = state.checkpoints.remove(id) != nil
        }
        return answered
    }

    /// Closes the connection and waits for the reader to finish.
    func close() {
        _ = shutdownBoth(descriptor)
        reader.join()
        try? descriptor.close()
    }

    private static func read(_ descriptor: FileDescriptor, into seen: ThreadCondition<Seen>) {
        // The daemon bounds what it sends; the reader takes it all.
        var framer = LineFramer(maximumLineLength: .max)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let result = buffer.withUnsafeMutableBytes { try? descriptor.read(into: $0) }
            guard case .bytes(let count)? = result, count > 0 else { break }
            seen.update { state in
                _ = buffer.withUnsafeBytes { bytes in
                    framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { line in
                        Self.count(line, in: &state)
                        return true
                    }
                }
            }
        }
        seen.update { $0.closed = true }
    }

    /// Classifies one reply line by looking for the few markers that matter
    /// (a full parse would make the reader slower than the daemon).
    private static func count(_ line: UnsafeRawBufferPointer, in state: inout Seen) {
        state.replies += 1
        let text = String(decoding: line, as: UTF8.self)
        if text.contains("\"code\":-32700") {
            state.parseErrors += 1
        } else if text.contains("\"code\":-32600") {
            state.invalidRequests += 1
        } else if text.contains("\"error\":") {
            state.otherErrors += 1
        }
        if let range = text.firstRange(of: "\"id\":\"checkpoint-") {
            let rest = text[range.upperBound...]
            if let end = rest.firstIndex(of: "\"") { state.checkpoints.insert("checkpoint-" + rest[..<end]) }
        }
    }
}

/// Shuts both directions of a socket down, which wakes a thread blocked
/// reading it (closing the descriptor alone would not, and is unsafe while
/// another thread uses it).
private func shutdownBoth(_ descriptor: FileDescriptor) -> Int32 {
    #if canImport(Glibc)
    shutdown(descriptor.rawValue, Int32(SHUT_RDWR))
    #else
    shutdown(descriptor.rawValue, SHUT_RDWR)
    #endif
}
