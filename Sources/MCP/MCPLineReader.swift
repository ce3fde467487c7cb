import Posix

/// Splits a stream into lines for the server: each line whole, and a line
/// longer than the limit reported once and skipped to its newline (unlike
/// a socket, stdin cannot be closed and reopened after one bad message).
struct MCPLineReader {
    enum Line {
        case message([UInt8])
        /// A line over the limit; its bytes are dropped up to its newline.
        case tooLong(Int)
    }

    let maximumLineLength: Int
    private var pending: [UInt8] = []
    private var skipping = false

    init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    /// Reads until end of file (or a read error), handing out each line.
    mutating func read(from input: FileDescriptor, _ onLine: (Line) -> Void) {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let result = chunk.withUnsafeMutableBytes { try? input.read(into: $0) }
            guard case .bytes(let count)? = result, count > 0 else { break }
            feed(chunk[..<count], onLine)
        }
        if !pending.isEmpty, !skipping { onLine(.message(pending)) }
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>, _ onLine: (Line) -> Void) {
        var rest = bytes
        while let newline = rest.firstIndex(of: 0x0A) {
            let piece = rest[rest.startIndex..<newline]
            rest = rest[(newline + 1)...]
            if skipping {
                skipping = false
                pending.removeAll(keepingCapacity: true)
                continue
            }
            pending.append(contentsOf: piece)
            if pending.count > maximumLineLength {
                onLine(.tooLong(maximumLineLength))
            } else {
                var line = pending
                if line.last == 0x0D { line.removeLast() }
                if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { onLine(.message(line)) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        guard !skipping else { return }
        pending.append(contentsOf: rest)
        if pending.count > maximumLineLength {
            onLine(.tooLong(maximumLineLength))
            pending.removeAll()
            skipping = true
        }
    }
}
