/// Why a document is not valid JSON, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule that was broken.
    public enum Kind: Sendable, Equatable {
        /// The document ended inside a value (or was empty).
        case unexpectedEndOfInput
        /// A byte that cannot appear here; `expected` says what could.
        case unexpectedCharacter(UInt8, expected: String)
        /// Bytes that are not UTF-8 (RFC 3629).
        case invalidUTF8
        /// A UTF-8 byte order mark at the start.
        case byteOrderMark
        /// A backslash escape other than \" \\ \/ \b \f \n \r \t \uXXXX.
        case invalidEscape
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A `\u` surrogate without its pair.
        case loneSurrogate
        /// A raw control character (U+0000 to U+001F) inside a string.
        case controlCharacterInString
        /// A number with a leading zero (`01`).
        case leadingZero
        /// A malformed number (`1.`, `-`, `1e`, `.5`).
        case invalidNumber
        /// A number literal longer than the limit.
        case numberTooLong(limit: Int)
        /// A number whose magnitude does not fit in a double (`1e400`).
        case numberOutOfRange
        /// The same key twice in one object.
        case duplicateKey(String)
        /// Arrays and objects nested deeper than the limit.
        case tooDeep(limit: Int)
        /// A document longer than the limit.
        case tooLarge(limit: Int)
        /// Something after the value.
        case trailingData
    }

    public let kind: Kind
    /// The byte offset where the problem was found.
    public let offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// What is wrong, without the position.
    public var reason: String {
        switch kind {
        case .unexpectedEndOfInput: "unexpected end of input"
        case .unexpectedCharacter(let byte, let expected): "unexpected \(Self.show(byte)), expected \(expected)"
        case .invalidUTF8: "invalid UTF-8"
        case .byteOrderMark: "a byte order mark (BOM) is not allowed"
        case .invalidEscape: "invalid escape sequence in a string"
        case .invalidUnicodeEscape: "\\u must be followed by four hex digits"
        case .loneSurrogate: "a \\u surrogate escape without its pair"
        case .controlCharacterInString: "raw control character in a string (escape it)"
        case .leadingZero: "numbers cannot have leading zeros"
        case .invalidNumber: "malformed number"
        case .numberTooLong(let limit): "number longer than \(limit) characters"
        case .numberOutOfRange: "number out of range (too large for a double)"
        case .duplicateKey(let key): "duplicate key \"\(key)\" in an object"
        case .tooDeep(let limit): "nested deeper than \(limit) levels"
        case .tooLarge(let limit): "document larger than \(limit) bytes"
        case .trailingData: "unexpected data after the JSON value"
        }
    }

    public var description: String {
        "invalid JSON at byte \(offset): \(reason)"
    }

    private static func show(_ byte: UInt8) -> String {
        switch byte {
        case 0x20...0x7E: "'\(Character(Unicode.Scalar(byte)))'"
        default: "byte 0x" + String(byte, radix: 16, uppercase: true)
        }
    }
}
