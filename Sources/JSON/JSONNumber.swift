/// A JSON number, kept as its literal text.
///
/// Keeping the text means a number round-trips exactly as written (`1.50`,
/// `1E+2`, `-0`, a 30-digit integer), which JSON-RPC ids need, and integers
/// are exact at any size. Accessors convert on demand.
///
/// Equality is numeric: `1`, `1.0` and `1e0` are equal. Two integer literals
/// compare exactly (as integers when they fit in 64 bits, else by text);
/// anything else compares as the nearest `Double`. Hashing uses the nearest
/// `Double`, so equal numbers hash equally.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal, valid per RFC 8259.
    public let text: String

    /// Wraps a literal that is known to be valid (the parser's).
    init(validatedText text: String) {
        self.text = text
    }

    public init(_ value: Int) {
        text = String(value)
    }

    public init(_ value: Int64) {
        text = String(value)
    }

    public init(_ value: UInt64) {
        text = String(value)
    }

    /// A finite double in its shortest round-trip form; nil for NaN and infinities.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift's description is the shortest text that reads back as the
        // same double: "0.1", "1e-05", "1e+20", "-0.0": all valid JSON.
        text = value.description
    }

    /// Validates a literal against the RFC 8259 grammar.
    public init?(literal: String) {
        var copy = literal
        let valid = copy.withUTF8 { bytes in
            JSONNumber.literalLength(UnsafeRawBufferPointer(bytes), from: 0) == bytes.count && !bytes.isEmpty
        }
        guard valid else { return nil }
        text = literal
    }

    /// True when the literal has no fraction and no exponent.
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value as an `Int64` if it is an exact integer in range.
    public var int64: Int64? {
        if isIntegerLiteral { return Int64(text) ?? (text == "-0" ? 0 : nil) }
        let value = double
        guard value == value.rounded(), abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The value as an `Int` if it is an exact integer in range.
    public var int: Int? {
        int64.flatMap { Int(exactly: $0) }
    }

    /// The nearest `Double`.
    public var double: Double {
        Double(text) ?? .nan
    }

    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text == rhs.text { return true }
        if lhs.isIntegerLiteral, rhs.isIntegerLiteral {
            if let left = lhs.int64, let right = rhs.int64 { return left == right }
            return lhs.canonicalIntegerText == rhs.canonicalIntegerText
        }
        return lhs.double == rhs.double
    }

    public func hash(into hasher: inout Hasher) {
        let value = double
        hasher.combine(value == 0 ? 0 : value)  // -0.0 and 0.0 hash alike
    }

    /// "-0" is "0"; other integer literals are already canonical (no
    /// leading zeros, no plus sign).
    private var canonicalIntegerText: String {
        text == "-0" ? "0" : text
    }

    /// The length of the number literal starting at `start`, or nil if the
    /// bytes there do not start a valid literal. Stops at the first byte that
    /// cannot continue it.
    static func literalLength(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        let end = bytes.count
        func digit(_ at: Int) -> Bool { at < end && bytes[at] >= 0x30 && bytes[at] <= 0x39 }
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digit(index) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if digit(index) { return nil }
        } else {
            while digit(index) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digit(index) else { return nil }
            while digit(index) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digit(index) else { return nil }
            while digit(index) { index += 1 }
        }
        return index - start
    }
}
