import Posix

/// Job identifiers: ULIDs (26 characters of Crockford base32: 48 bits of
/// milliseconds since 1970, then 80 random bits). They sort by creation time
/// as text, so "newest first" is `ORDER BY id DESC` and FIFO is `ORDER BY id`.
/// Within one millisecond the random part counts up, so ids made by one
/// generator are strictly increasing.
public final class JobIDGenerator: Sendable {
    private let last = Lock<(milliseconds: UInt64, random: (high: UInt16, low: UInt64))>((0, (0, 0)))

    public init() {}

    /// A new id for `milliseconds` since 1970 (the current time by default).
    public func next(milliseconds: UInt64 = UInt64(max(0, WallClock.now().milliseconds))) -> String {
        let (time, random) = last.withLock { state -> (UInt64, (high: UInt16, low: UInt64)) in
            if milliseconds <= state.milliseconds {
                // Same (or an earlier) millisecond: count up from the last id.
                var (high, low) = state.random
                low &+= 1
                if low == 0 { high &+= 1 }
                state.random = (high, low)
                return (state.milliseconds, state.random)
            }
            var generator = SystemRandomNumberGenerator()
            // Leave headroom so counting up within a millisecond never overflows.
            let fresh = (high: UInt16.random(in: 0...0x7FFF, using: &generator), low: generator.next() as UInt64)
            state = (milliseconds, fresh)
            return (milliseconds, fresh)
        }
        return Self.encode(time: time, high: random.high, low: random.low)
    }

    /// Makes every later id sort after `id` (the newest in the store), even
    /// if the clock went back since it was made: ids stay in creation order
    /// across restarts, which FIFO order and the prompt index rely on.
    public func resume(after id: String) {
        guard let (time, high, low) = Self.decode(id) else { return }
        last.withLock { state in
            if (time, high, low) > (state.milliseconds, state.random.high, state.random.low) {
                state = (time, (high, low))
            }
        }
    }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The time and random parts of a valid id.
    static func decode(_ id: String) -> (time: UInt64, high: UInt16, low: UInt64)? {
        guard isValid(id) else { return nil }
        let digits = id.utf8.map { UInt64(alphabet.firstIndex(of: $0)!) }
        let time = digits[0..<10].reduce(UInt64(0)) { ($0 << 5) | $1 }
        var (high, low) = (UInt16(0), UInt64(0))
        for digit in digits[10...] {
            high = (high << 5) | UInt16(truncatingIfNeeded: low >> 59)
            low = (low << 5) | digit
        }
        return (time, high, low)
    }

    /// 10 characters of time (50 bits, top 2 zero) and 16 of randomness (80 bits).
    static func encode(time: UInt64, high: UInt16, low: UInt64) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        var value = time
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
        // 80 bits: high (16) then low (64), 5 bits at a time from the end.
        var lowBits = low
        var highBits = UInt32(high)
        for index in stride(from: 25, through: 10, by: -1) {
            characters[index] = alphabet[Int(lowBits & 31)]
            lowBits = (lowBits >> 5) | (UInt64(highBits & 31) << 59)
            highBits >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Whether `text` has the shape of a job id (26 Crockford base32 characters).
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 26 && bytes[0] <= UInt8(ascii: "7") && bytes.allSatisfy { alphabet.contains($0) }
    }
}
