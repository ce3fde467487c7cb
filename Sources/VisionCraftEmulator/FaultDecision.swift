import HTTPServer
import Imaging
import Posix

/// What the fault plan decided for one request, drawn from one seeded
/// generator in request order so that a seed reproduces the faults. Both
/// emulators draw the same way; each turns a decision into its API's shape.
enum FaultDecision: Equatable {
    case none, reset, serverError(HTTPStatus), tooManyRequests, malformed(Int), truncated, slow, corrupt, bomb(Int)

    /// The milliseconds to wait before answering.
    static func latency(_ plan: FaultPlan, _ random: inout SplitMix64) -> Int {
        let range = plan.latency
        return range.lowerBound == range.upperBound ? range.lowerBound : range.lowerBound + Int(random.next() % UInt64(range.count))
    }

    /// A generation's fault: reset, 5xx, 429, malformed body, or none.
    static func generation(_ plan: FaultPlan, _ random: inout SplitMix64) -> FaultDecision {
        var threshold = 0.0
        let value = roll(&random)
        threshold += plan.resetRate
        if value < threshold { return .reset }
        threshold += plan.serverErrorRate
        if value < threshold {
            let statuses = [HTTPStatus.internalServerError, .badGateway, .serviceUnavailable]
            return .serverError(statuses[Int(random.next() % 3)])
        }
        threshold += plan.tooManyRequestsRate
        if value < threshold { return .tooManyRequests }
        threshold += plan.malformedRate
        if value < threshold { return .malformed(Int(random.next() % 4)) }
        return .none
    }

    /// An image transfer's fault: reset, truncated, slow, corrupt, bomb, or none.
    static func download(_ plan: FaultPlan, _ random: inout SplitMix64) -> FaultDecision {
        var threshold = 0.0
        let value = roll(&random)
        threshold += plan.resetRate
        if value < threshold { return .reset }
        threshold += plan.truncatedDownloadRate
        if value < threshold { return .truncated }
        threshold += plan.slowDownloadRate
        if value < threshold { return .slow }
        threshold += plan.corruptDownloadRate
        if value < threshold { return .corrupt }
        threshold += plan.bombDownloadRate
        if value < threshold { return .bomb(plan.bombSide) }
        return .none
    }

    /// An image download's answer under this decision: reset, cut in half,
    /// slowed, damaged, a bomb, or whole; nil when the bomb cannot be made.
    func imageReply(_ png: [UInt8]) -> HTTPReply? {
        let body: [UInt8]
        switch self {
        case .corrupt: body = Self.damaged(png)
        case .bomb(let side):
            guard let bomb = Self.bomb(side: side) else { return nil }
            body = bomb
        default: body = png
        }
        let response = HTTPResponse(status: .ok, headers: [("Content-Type", "image/png")], body: body)
        switch self {
        case .reset: return .resetConnection
        case .truncated: return .truncated(response, bodyBytes: png.count / 2)
        case .slow: return .throttled(response, chunkBytes: 16 * 1024, interval: .milliseconds(50))
        default: return .response(response)
        }
    }

    private static func roll(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) / Double(1 << 53)
    }

    /// `png` with the middle byte of its first IDAT chunk's data flipped:
    /// whole, with its signature and header intact, but its CRC fails.
    static func damaged(_ png: [UInt8]) -> [UInt8] {
        var bytes = png
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            if bytes[(offset + 4)..<(offset + 8)].elementsEqual(Array("IDAT".utf8)), length > 0, offset + 8 + length <= bytes.count {
                bytes[offset + 8 + length / 2] ^= 0x55
                return bytes
            }
            offset += 12 + length
        }
        // No image data found: damage the last byte (the IEND CRC).
        bytes[bytes.count - 1] ^= 0x55
        return bytes
    }

    /// Bombs by side, made once each (deflating 8192x8192 takes a moment).
    private static let bombs = Lock<[Int: [UInt8]]>([:])

    /// A PNG of `side` x `side` pixels of one grey; nil if encoding failed.
    static func bomb(side: Int) -> [UInt8]? {
        if let made = bombs.withLock({ $0[side] }) { return made }
        guard let made = try? PNGCodec.flatGray(width: side, height: side) else { return nil }
        bombs.withLock { $0[side] = made }
        return made
    }
}
