import Imaging

/// Draws the emulator's pictures: deterministic for a key, an index and a
/// size; visibly different for different keys (palette, background and
/// shapes all come from the key), and cheap.
enum ImageSynthesizer {
    /// What to draw; also what an image URL encodes.
    struct Spec: Hashable, Sendable {
        var key: UInt64
        var index: Int
        var width: Int
        var height: Int

        /// The URL path: `/images/<16 hex>-<index>-<width>x<height>.png`.
        var path: String {
            let hex = String(key, radix: 16)
            return "/images/\(String(repeating: "0", count: 16 - hex.count))\(hex)-\(index)-\(width)x\(height).png"
        }

        /// Reads a URL path written by `path`; nil for anything else (or a
        /// side past `maximumSide`).
        init?(path: String, maximumSide: Int = GenerationRequest.maximumSide) {
            guard path.hasPrefix("/images/"), path.hasSuffix(".png") else { return nil }
            let name = path.dropFirst(8).dropLast(4)
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0].count == 16, let key = UInt64(parts[0], radix: 16), let index = Int(parts[1]),
                (0..<100).contains(index)
            else { return nil }
            let size = parts[2].split(separator: "x")
            guard size.count == 2, let width = Int(size[0]), let height = Int(size[1]),
                (8...maximumSide).contains(width), (8...maximumSide).contains(height)
            else { return nil }
            self.init(key: key, index: index, width: width, height: height)
        }

        init(key: UInt64, index: Int, width: Int, height: Int) {
            self.key = key
            self.index = index
            self.width = width
            self.height = height
        }
    }

    /// Renders the picture.
    static func render(_ spec: Spec) -> RGBAImage {
        var random = SplitMix64(state: spec.key ^ (UInt64(spec.index) &* 0x9E37_79B9_7F4A_7C15))
        let palette = (0..<5).map { _ in color(&random) }
        var image = RGBAImage(width: spec.width, height: spec.height, fill: (0, 0, 0, 255))
        // A vertical gradient between two palette colours, a row at a time.
        let top = palette[0], bottom = palette[1]
        for y in 0..<spec.height {
            let t = spec.height > 1 ? Double(y) / Double(spec.height - 1) : 0
            let r = UInt8(Double(top.0) * (1 - t) + Double(bottom.0) * t)
            let g = UInt8(Double(top.1) * (1 - t) + Double(bottom.1) * t)
            let b = UInt8(Double(top.2) * (1 - t) + Double(bottom.2) * t)
            image.fill(row: y, columns: 0..<spec.width, with: RGBAImage.word(r, g, b, 255))
        }
        // Shapes: circles and rectangles in the other colours, a span per row.
        let shapes = 4 + Int(spec.key % 5)
        let side = min(spec.width, spec.height)
        for _ in 0..<shapes {
            let fill = palette[2 + Int(random.next() % 3)]
            let word = RGBAImage.word(fill.0, fill.1, fill.2, 255)
            let centerX = Int(random.next() % UInt64(spec.width))
            let centerY = Int(random.next() % UInt64(spec.height))
            let radius = side / 16 + Int(random.next() % UInt64(max(1, side / 4)))
            let circle = random.next() % 2 == 0
            let columns = max(0, centerX - radius)..<min(spec.width, centerX + radius)
            for y in max(0, centerY - radius)..<min(spec.height, centerY + radius) {
                var span = columns
                if circle {
                    // The pixels with dx² + dy² <= radius²: |dx| <= reach.
                    let dy = y - centerY
                    let reach = integerSquareRoot(radius * radius - dy * dy)
                    span = max(columns.lowerBound, centerX - reach)..<min(columns.upperBound, centerX + reach + 1)
                }
                if !span.isEmpty { image.fill(row: y, columns: span, with: word) }
            }
        }
        return image
    }

    /// The largest n with n² <= value (value >= 0).
    static func integerSquareRoot(_ value: Int) -> Int {
        var root = Int(Double(value).squareRoot())
        while root * root > value { root -= 1 }
        while (root + 1) * (root + 1) <= value { root += 1 }
        return root
    }

    private static func color(_ random: inout SplitMix64) -> (UInt8, UInt8, UInt8) {
        let value = random.next()
        return (UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value >> 16))
    }
}

/// SplitMix64: a tiny seeded generator, the same on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
