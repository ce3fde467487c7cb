/// Splits a byte stream into newline-terminated lines (NDJSON framing).
///
/// Bytes arrive in arbitrary pieces; complete lines are handed out as soon as
/// their newline arrives, straight from the caller's buffer when possible
/// (no copy), and a partial line waits in an internal buffer. A line longer
/// than `maximumLineLength` (not counting its newline) is an overflow, found
/// as soon as that many bytes without a newline have arrived, not when the
/// newline finally comes.
public struct LineFramer: Sendable {
    /// How a `feed` or `resume` ended.
    public enum Outcome: Sendable, Equatable {
        /// Everything was consumed; a partial line may be buffered.
        case consumed
        /// The handler asked to stop; the remaining bytes are buffered.
        case paused
        /// A line exceeded the limit. The framer is now unusable: the caller
        /// answers with an error and closes the connection.
        case overflow
    }

    /// The longest line accepted, in bytes.
    public let maximumLineLength: Int
    private var buffer: [UInt8] = []
    /// Where unread data starts in `buffer`.
    private var start = 0
    /// Bytes of `buffer` (from `start`) already searched for a newline.
    private var searched = 0
    public private(set) var hasOverflowed = false
    /// The handler paused; complete lines may wait in the buffer.
    public private(set) var isPaused = false

    public init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes waiting in the buffer: a partial line, or lines left by a pause.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Feeds `bytes` and calls `onLine` for every complete line, in order.
    ///
    /// - Parameter onLine: gets a line without its newline (valid only during
    ///   the call); returns false to pause. After a pause, call `resume` to
    ///   get the buffered lines.
    public mutating func feed(
        _ bytes: UnsafeRawBufferPointer,
        onLine: (UnsafeRawBufferPointer) -> Bool
    ) -> Outcome {
        guard !hasOverflowed else { return .overflow }
        if isPaused {
            // Lines are still waiting from a pause: keep the order.
            buffer.append(contentsOf: bytes)
            return resume(onLine: onLine)
        }
        var rest = bytes
        if bufferedByteCount > 0 {
            // Complete the buffered partial line first.
            guard let newline = rest.firstIndex(of: 0x0A) else {
                searched = bufferedByteCount + rest.count
                buffer.append(contentsOf: rest)
                return checkPartialLine()
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<(newline + 1)]))
            rest = UnsafeRawBufferPointer(rebasing: rest[(newline + 1)...])
            let outcome = resume(onLine: onLine)
            if outcome != .consumed {
                if outcome == .paused { buffer.append(contentsOf: rest) }
                return outcome
            }
        }
        // Lines straight from the caller's bytes.
        while let newline = rest.firstIndex(of: 0x0A) {
            if newline > maximumLineLength { return overflow() }
            let line = UnsafeRawBufferPointer(rebasing: rest[..<newline])
            rest = UnsafeRawBufferPointer(rebasing: rest[(newline + 1)...])
            if !onLine(line) {
                buffer.append(contentsOf: rest)
                isPaused = true
                return .paused
            }
        }
        buffer.append(contentsOf: rest)
        searched = bufferedByteCount
        return checkPartialLine()
    }

    /// Hands out complete lines waiting in the buffer (after a pause).
    public mutating func resume(onLine: (UnsafeRawBufferPointer) -> Bool) -> Outcome {
        guard !hasOverflowed else { return .overflow }
        isPaused = false
        defer { compact() }
        while true {
            let found: Int? = buffer.withUnsafeBytes { all in
                let unread = UnsafeRawBufferPointer(rebasing: all[(start + searched)...])
                return unread.firstIndex(of: 0x0A).map { $0 + start + searched }
            }
            guard let newline = found else {
                searched = bufferedByteCount
                return checkPartialLine()
            }
            if newline - start > maximumLineLength { return overflow() }
            let keepGoing = buffer.withUnsafeBytes { all in
                onLine(UnsafeRawBufferPointer(rebasing: all[start..<newline]))
            }
            start = newline + 1
            searched = 0
            if !keepGoing {
                isPaused = true
                return .paused
            }
        }
    }

    /// At end of input: hands out the buffered lines and then the last line
    /// even without its newline (NDJSON writers often omit the final one).
    public mutating func finish(onLine: (UnsafeRawBufferPointer) -> Bool) -> Outcome {
        let outcome = resume(onLine: onLine)
        guard outcome == .consumed, bufferedByteCount > 0 else { return outcome }
        let keepGoing = buffer.withUnsafeBytes { all in onLine(UnsafeRawBufferPointer(rebasing: all[start...])) }
        buffer.removeAll()
        start = 0
        searched = 0
        if !keepGoing {
            isPaused = true
            return .paused
        }
        return .consumed
    }

    /// Removes and returns the bytes waiting in the buffer (lines left by a
    /// pause, a partial line), for a reader that stops reading lines here:
    /// the body after a header, the rest of a stream read whole. The framer
    /// is empty afterwards and not paused.
    public mutating func takeBuffered() -> [UInt8] {
        guard !hasOverflowed else { return [] }
        let bytes = Array(buffer[start...])
        buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
        start = 0
        searched = 0
        isPaused = false
        return bytes
    }

    private mutating func checkPartialLine() -> Outcome {
        bufferedByteCount > maximumLineLength ? overflow() : .consumed
    }

    private mutating func overflow() -> Outcome {
        hasOverflowed = true
        buffer = []
        start = 0
        searched = 0
        return .overflow
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            start = 0
        } else if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
