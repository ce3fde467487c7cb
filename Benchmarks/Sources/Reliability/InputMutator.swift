/// Seeded mutations of byte strings, for feeding a parser inputs that are
/// almost right: the same seed always gives the same sequence, so a failure
/// found by a run is reproduced by running it again with its seed.
public struct InputMutator: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next pseudo-random number (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Fragments that tend to break JSON readers: structure, escapes, numbers
    /// at and past every limit, invalid UTF-8, overlong encodings, NUL.
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\u0000", "\\ud800", "\\udc00x", "null", "true", "false",
        "-0", "1e999999", "-1e-999999", "123456789012345678901234567890", "0x10", "NaN", "Infinity", "1.", ".5", "01",
        "\"id\":", "\"method\":", "\"params\":", "\"jsonrpc\":\"2.0\"", "\"jsonrpc\":\"1.0\"", "\r", "\t", " ",
    ].map { Array($0.utf8) } + [[0x00], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]

    /// One to four mutations of `input`; `other` is spliced in by some of them.
    public mutating func mutate(_ input: [UInt8], splicing other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            let position = bytes.isEmpty ? 0 : below(bytes.count + 1)
            switch below(9) {
            case 0 where !bytes.isEmpty:  // flip one bit
                let index = below(bytes.count)
                bytes[index] ^= UInt8(1) << UInt8(below(8))
            case 1:  // insert a random byte
                bytes.insert(UInt8(truncatingIfNeeded: next()), at: position)
            case 2 where !bytes.isEmpty:  // delete a run
                let end = min(bytes.count, position + 1 + below(8))
                if position < end { bytes.removeSubrange(position..<end) }
            case 3 where !bytes.isEmpty:  // repeat a run
                let start = below(bytes.count)
                let run = Array(bytes[start..<min(bytes.count, start + 1 + below(16))])
                bytes.insert(contentsOf: run, at: position)
            case 4:  // insert a troublesome token
                bytes.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: position)
            case 5 where !other.isEmpty:  // splice another input's tail
                let from = below(other.count)
                bytes = Array(bytes[..<position]) + other[from...]
            case 6:  // cut: half a message
                bytes.removeSubrange(position...)
            case 7:  // nest deeper
                let depth = 1 + below(100)
                bytes = Array(repeating: UInt8(ascii: "["), count: depth) + bytes + Array(repeating: UInt8(ascii: "]"), count: depth)
            default:  // replace a digit run or a byte with a large number
                bytes.insert(contentsOf: Array(String(next()).utf8), at: position)
            }
        }
        return bytes
    }
}
