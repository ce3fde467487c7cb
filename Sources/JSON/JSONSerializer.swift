/// Writes JSON. Compact output never contains a raw newline (every control
/// character in a string is escaped), so a value always fits on one line of
/// an NDJSON stream. Non-ASCII text is written as UTF-8, not escaped.
public enum JSONSerializer {
    /// The value as UTF-8 bytes.
    public static func serialize(_ value: JSON, pretty: Bool = false) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        append(value, to: &buffer, pretty: pretty)
        return buffer
    }

    /// The value as a String.
    public static func serializeToString(_ value: JSON, pretty: Bool = false) -> String {
        String(decoding: serialize(value, pretty: pretty), as: UTF8.self)
    }

    /// Appends the value to `buffer`.
    ///
    /// - Parameter pretty: two-space indentation and `"key": value`; empty
    ///   containers stay `[]` and `{}`; no trailing newline.
    public static func append(_ value: JSON, to buffer: inout [UInt8], pretty: Bool = false) {
        if pretty {
            appendPretty(value, to: &buffer, indent: 0)
        } else {
            appendCompact(value, to: &buffer)
        }
    }

    /// Appends `string` quoted and escaped.
    public static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        let handled: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            appendEscaped(UnsafeRawBufferPointer(bytes), to: &buffer)
        }
        if handled == nil {
            let bytes = Array(string.utf8)
            bytes.withUnsafeBytes { appendEscaped($0, to: &buffer) }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    // MARK: Private

    private static func appendCompact(_ value: JSON, to buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let number): buffer.append(contentsOf: number.text.utf8)
        case .string(let string): appendString(string, to: &buffer)
        case .array(let elements):
            // Index loops, not enumerated(): no generic wrapper types to
            // instantiate at run time on the hot path.
            buffer.append(UInt8(ascii: "["))
            for position in 0..<elements.count {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                appendCompact(elements[position], to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            for position in 0..<object.count {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                let (key, member) = object.member(at: position)
                appendString(key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                appendCompact(member, to: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    private static func appendPretty(_ value: JSON, to buffer: inout [UInt8], indent: Int) {
        func newline(_ level: Int) {
            buffer.append(0x0A)
            buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            buffer.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                appendPretty(element, to: &buffer, indent: indent + 1)
            }
            newline(indent)
            buffer.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                newline(indent + 1)
                appendString(key, to: &buffer)
                buffer.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                appendPretty(member, to: &buffer, indent: indent + 1)
            }
            newline(indent)
            buffer.append(UInt8(ascii: "}"))
        default:
            appendCompact(value, to: &buffer)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `bytes` with JSON escapes, copying runs that need none at once.
    private static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        var runStart = 0
        for position in 0..<bytes.count {
            let byte = bytes[position]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < position {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
            }
            runStart = position + 1
            buffer.append(0x5C)
            switch byte {
            case 0x22: buffer.append(0x22)
            case 0x5C: buffer.append(0x5C)
            case 0x0A: buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(UInt8(ascii: "r"))
            case 0x09: buffer.append(UInt8(ascii: "t"))
            case 0x08: buffer.append(UInt8(ascii: "b"))
            case 0x0C: buffer.append(UInt8(ascii: "f"))
            default:
                buffer.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
        }
        if runStart < bytes.count {
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        }
    }
}
