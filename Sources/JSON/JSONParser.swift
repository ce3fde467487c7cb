/// A strict RFC 8259 parser.
///
/// The input must be exactly one JSON value with optional whitespace (space,
/// tab, line feed, carriage return) around it. UTF-8 is checked everywhere
/// (RFC 3629: no overlongs, no encoded surrogates, nothing above U+10FFFF);
/// `\u` escapes must pair surrogates; duplicate keys, leading zeros, trailing
/// commas, comments, NaN and infinities are errors; numbers too large for a
/// double are errors; nesting and size are limited. Every error says where.
public enum JSONParser {
    /// Limits on what the parser accepts.
    public struct Options: Sendable {
        /// The deepest nesting of arrays and objects.
        public var maxDepth: Int
        /// The longest number literal.
        public var maxNumberLength: Int
        /// The largest document.
        public var maxInputBytes: Int

        public init(maxDepth: Int = 128, maxNumberLength: Int = 1024, maxInputBytes: Int = Int.max) {
            self.maxDepth = maxDepth
            self.maxNumberLength = maxNumberLength
            self.maxInputBytes = maxInputBytes
        }
    }

    /// Parses one document.
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(JSONParseError) -> JSON {
        var parser = Parser(bytes: bytes, options: options)
        return try parser.parseDocument()
    }

    /// Parses one document.
    public static func parse(_ bytes: [UInt8], options: Options = Options()) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) in try parse(buffer, options: options) }
        }.get()
    }

    /// Parses one document.
    public static func parse(_ text: String, options: Options = Options()) throws(JSONParseError) -> JSON {
        var copy = text
        return try copy.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buffer), options: options) }
        }.get()
    }
}

/// The parser's state: a cursor over the input.
private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let options: JSONParser.Options
    var index = 0
    var depth = 0
    /// Scratch space for strings with escapes, reused.
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, options: JSONParser.Options) {
        self.bytes = bytes
        self.options = options
    }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        if bytes.count > options.maxInputBytes {
            throw JSONParseError(.tooLarge(limit: options.maxInputBytes), at: options.maxInputBytes)
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw JSONParseError(.byteOrderMark, at: 0)
        }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw JSONParseError(.trailingData, at: index)
        }
        return value
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case let byte: throw unexpected(byte, expected: "a value")
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw unexpected(bytes[index], expected: "a string key")
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipWhitespace()
            let value = try parseValue()
            guard object.insertNew(key, value) else {
                throw JSONParseError(.duplicateKey(key), at: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(object)
            case let byte:
                throw unexpected(byte, expected: "',' or '}' after an object member")
            }
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1  // [
        var elements: [JSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            case let byte:
                throw unexpected(byte, expected: "',' or ']' after an array element")
            }
        }
    }

    mutating func parseLiteral(_ word: StaticString, _ value: JSON) throws(JSONParseError) -> JSON {
        let length = word.utf8CodeUnitCount
        let start = word.utf8Start
        for offset in 0..<length {
            guard index + offset < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index + offset) }
            guard bytes[index + offset] == start[offset] else {
                throw unexpected(bytes[index + offset], expected: "'\(word)'")
            }
        }
        index += length
        return value
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        guard let length = JSONNumber.literalLength(bytes, from: start) else {
            throw numberError(from: start)
        }
        if length > options.maxNumberLength {
            throw JSONParseError(.numberTooLong(limit: options.maxNumberLength), at: start)
        }
        index = start + length
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        // Up to 15 significant digits and no exponent can never overflow.
        if length > 15 || text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let value = Double(text), value.isFinite else {
                throw JSONParseError(.numberOutOfRange, at: start)
            }
        }
        return JSONNumber(validatedText: text)
    }

    /// Says exactly what is wrong with a malformed number.
    func numberError(from start: Int) -> JSONParseError {
        var at = start
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { return JSONParseError(.unexpectedEndOfInput, at: at) }
        if bytes[at] == UInt8(ascii: "0"), at + 1 < bytes.count, isDigit(bytes[at + 1]) {
            return JSONParseError(.leadingZero, at: at)
        }
        guard isDigit(bytes[at]) else { return JSONParseError(.invalidNumber, at: at) }
        while at < bytes.count, isDigit(bytes[at]) { at += 1 }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard at < bytes.count else { return JSONParseError(.unexpectedEndOfInput, at: at) }
            guard isDigit(bytes[at]) else { return JSONParseError(.invalidNumber, at: at) }
            while at < bytes.count, isDigit(bytes[at]) { at += 1 }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard at < bytes.count else { return JSONParseError(.unexpectedEndOfInput, at: at) }
        }
        return JSONParseError(.invalidNumber, at: at)
    }

    // MARK: Strings

    /// Parses a string starting at its opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // "
        let start = index
        // Fast path: no escapes. Validate UTF-8 as we go.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                return try parseEscapedString()
            }
            if byte < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
            if byte < 0x80 {
                index += 1
            } else {
                index += try utf8SequenceLength(at: index)
            }
        }
        throw JSONParseError(.unexpectedEndOfInput, at: index)
    }

    /// The rest of a string that has escapes, built in `scratch`.
    mutating func parseEscapedString() throws(JSONParseError) -> String {
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw JSONParseError(.controlCharacterInString, at: index)
            case 0..<0x80:
                scratch.append(byte)
                index += 1
            default:
                let length = try utf8SequenceLength(at: index)
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)]))
                index += length
            }
        }
        throw JSONParseError(.unexpectedEndOfInput, at: index)
    }

    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = index
        index += 1  // backslash
        guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xD800, scalar <= 0xDBFF {
                // A high surrogate must be followed by \u and a low one.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(.loneSurrogate, at: escapeStart)
                }
                index += 2
                let low = try hex4()
                guard low >= 0xDC00, low <= 0xDFFF else { throw JSONParseError(.loneSurrogate, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw JSONParseError(.loneSurrogate, at: escapeStart)
            }
            appendUTF8(scalar)
        default:
            throw JSONParseError(.invalidEscape, at: escapeStart)
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard index + offset < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index + offset) }
            let byte = bytes[index + offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError(.invalidUnicodeEscape, at: index + offset)
            }
            value = value << 4 | digit
        }
        index += 4
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The length of the valid UTF-8 sequence whose lead byte (>= 0x80) is
    /// at `at` (RFC 3629, table 3-7 of the Unicode standard).
    func utf8SequenceLength(at start: Int) throws(JSONParseError) -> Int {
        let lead = bytes[start]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) throws(JSONParseError) {
            guard start + offset < bytes.count else { throw JSONParseError(.invalidUTF8, at: start) }
            guard range.contains(bytes[start + offset]) else { throw JSONParseError(.invalidUTF8, at: start + offset) }
        }
        switch lead {
        case 0xC2...0xDF:
            try continuation(1)
            return 2
        case 0xE0:
            try continuation(1, 0xA0...0xBF)
            try continuation(2)
            return 3
        case 0xE1...0xEC, 0xEE...0xEF:
            try continuation(1)
            try continuation(2)
            return 3
        case 0xED:
            try continuation(1, 0x80...0x9F)  // no encoded surrogates
            try continuation(2)
            return 3
        case 0xF0:
            try continuation(1, 0x90...0xBF)
            try continuation(2)
            try continuation(3)
            return 4
        case 0xF1...0xF3:
            try continuation(1)
            try continuation(2)
            try continuation(3)
            return 4
        case 0xF4:
            try continuation(1, 0x80...0x8F)  // nothing above U+10FFFF
            try continuation(2)
            try continuation(3)
            return 4
        default:
            throw JSONParseError(.invalidUTF8, at: start)
        }
    }

    // MARK: Helpers

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > options.maxDepth { throw JSONParseError(.tooDeep(limit: options.maxDepth), at: index) }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEndOfInput, at: index) }
        guard bytes[index] == byte else { throw unexpected(bytes[index], expected: what) }
        index += 1
    }

    /// An unexpected byte; invalid UTF-8 there is reported as such.
    func unexpected(_ byte: UInt8, expected: String) -> JSONParseError {
        if byte >= 0x80, (try? utf8SequenceLength(at: index)) == nil {
            return JSONParseError(.invalidUTF8, at: index)
        }
        return JSONParseError(.unexpectedCharacter(byte, expected: expected), at: index)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
