/// A configuration file in a subset of TOML that real TOML tools also read:
/// `[section]` headers, `key = value` lines and `#` comments. Values are
/// strings in double quotes (escapes `\"`, `\\`, `\n`, `\t`), integers,
/// decimal numbers, `true`/`false`, and arrays of strings on one line.
public struct ConfigFile: Sendable, Equatable {
    /// A value as written.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case integer(Int)
        case number(Double)
        case boolean(Bool)
        case strings([String])

        public var description: String {
            switch self {
            case .string(let text): ConfigFile.quote(text)
            case .integer(let value): String(value)
            case .number(let value): String(value)
            case .boolean(let value): value ? "true" : "false"
            case .strings(let values): "[" + values.map(ConfigFile.quote).joined(separator: ", ") + "]"
            }
        }
    }

    /// One setting: `section.key`, its value and the line it is on.
    public struct Entry: Sendable, Equatable {
        public let section: String
        public let key: String
        public let value: Value
        public let line: Int

        public var name: String { section.isEmpty ? key : "\(section).\(key)" }
    }

    public let entries: [Entry]

    /// Parses `text`. The reading is by Unicode scalar, not Character: a
    /// combining mark after a quote or a bracket must not hide it.
    ///
    /// - Throws: `ConfigError` with the line and what is wrong.
    public init(parsing text: String) throws(ConfigError) {
        var entries: [Entry] = []
        var seen: Set<String> = []
        var section = ""
        for (offset, raw) in Self.lines(of: text).enumerated() {
            let number = offset + 1
            let line = Self.trim(Self.strippingComment(Array(raw.unicodeScalars)))
            if line.isEmpty { continue }
            if line.first == "[" {
                guard line.last == "]", line.count >= 2, line[1] != "[" else { throw ConfigError(line: number, "a section header is [name]") }
                section = Self.string(Self.trim(line[1..<(line.count - 1)]))
                // A dotted name is a table inside a table: [backends.forge].
                guard section.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Self.isBareKey(String($0)) }) else {
                    throw ConfigError(line: number, "'\(section)' is not a section name (words of letters, digits, _ and -, joined by dots)")
                }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw ConfigError(line: number, "expected key = value") }
            let key = Self.string(Self.trim(line[..<equals]))
            guard Self.isBareKey(key) else { throw ConfigError(line: number, "'\(key)' is not a key name (letters, digits, _ and -)") }
            let name = section.isEmpty ? key : "\(section).\(key)"
            guard seen.insert(name).inserted else { throw ConfigError(line: number, key: name, "is set twice") }
            let value = try Self.value(Self.trim(line[(equals + 1)...]), line: number, key: name)
            entries.append(Entry(section: section, key: key, value: value, line: number))
        }
        self.entries = entries
    }

    /// The entry for `section.key`.
    public func entry(_ name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The lines of `text`, split at every line feed, so that files saved
    /// with CRLF endings (a Windows editor) read the same: splitting the
    /// String would not, since "\r\n" is one Character. Each line keeps its
    /// "\r", which the parser trims.
    public static func lines(of text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
    }

    /// `text` in double quotes, escaped as the parser (and TOML) reads it:
    /// quotes, backslashes and every control character.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    // MARK: Private

    private typealias Scalars = ArraySlice<Unicode.Scalar>

    private static func string(_ scalars: Scalars) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    private static func trim(_ scalars: some Collection<Unicode.Scalar>) -> Scalars {
        let all = Array(scalars)[...]
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = all.firstIndex(where: { !blank($0) }), let last = all.lastIndex(where: { !blank($0) }) else { return [] }
        return Array(all[first...last])[...]  // indices from 0, as callers count them
    }

    private static func isBareKey(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ($0.value < 128 && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
    }

    /// The line without a `#` comment (one inside a string stays).
    private static func strippingComment(_ line: [Unicode.Scalar]) -> Scalars {
        var inString = false
        var escaped = false
        for (index, scalar) in line.enumerated() {
            if inString {
                if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
            } else if scalar == "\"" {
                inString = true
            } else if scalar == "#" {
                return line[..<index]
            }
        }
        return line[...]
    }

    private static func value(_ text: Scalars, line: Int, key: String) throws(ConfigError) -> Value {
        if text.first == "\"" {
            var rest = text
            let string = try quoted(&rest, line: line, key: key)
            guard trim(rest).isEmpty else { throw ConfigError(line: line, key: key, "unexpected text after the string") }
            return .string(string)
        }
        if text.first == "[" {
            guard text.last == "]", text.count >= 2 else { throw ConfigError(line: line, key: key, "an array ends with ] on the same line") }
            var rest = text.dropFirst().dropLast()
            var values: [String] = []
            while true {
                rest = trim(rest)
                if rest.isEmpty { break }
                guard rest.first == "\"" else { throw ConfigError(line: line, key: key, "arrays hold strings in double quotes") }
                values.append(try quoted(&rest, line: line, key: key))
                rest = trim(rest)
                if rest.isEmpty { break }
                guard rest.first == "," else { throw ConfigError(line: line, key: key, "expected , between array items") }
                rest = rest.dropFirst()
            }
            return .strings(values)
        }
        let word = string(text)
        if word == "true" { return .boolean(true) }
        if word == "false" { return .boolean(false) }
        let digits = String(word.unicodeScalars.filter { $0 != "_" })
        if let integer = Int(digits) { return .integer(integer) }
        if let number = Double(digits), number.isFinite, digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .number(number) }
        throw ConfigError(line: line, key: key, "'\(word)' is not a value (strings go in double quotes)")
    }

    /// Reads a double-quoted string at the start of `text`, leaving the rest.
    /// Escapes as in TOML: \" \\ \n \t \r \b \f \uXXXX \UXXXXXXXX.
    private static func quoted(_ text: inout Scalars, line: Int, key: String) throws(ConfigError) -> String {
        text = text.dropFirst()
        var result = ""
        while let scalar = text.first {
            text = text.dropFirst()
            switch scalar {
            case "\"": return result
            case "\\":
                guard let next = text.first else { break }
                text = text.dropFirst()
                switch next {
                case "n": result += "\n"
                case "t": result += "\t"
                case "r": result += "\r"
                case "b": result += "\u{08}"
                case "f": result += "\u{0C}"
                case "\"": result += "\""
                case "\\": result += "\\"
                case "u", "U":
                    let length = next == "u" ? 4 : 8
                    let hex = string(text.prefix(length))
                    guard hex.count == length, let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else {
                        throw ConfigError(line: line, key: key, "\\\(next) needs \(length) hexadecimal digits of a Unicode scalar")
                    }
                    result.unicodeScalars.append(decoded)
                    text = text.dropFirst(length)
                default: throw ConfigError(line: line, key: key, "unknown escape \\\(next)")
                }
            default: result.unicodeScalars.append(scalar)
            }
        }
        throw ConfigError(line: line, key: key, "the string is not closed")
    }
}

/// What is wrong in a configuration file, with the line and the key.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int?
    public let key: String?
    public let message: String
    /// The file, once known.
    public var path: String?

    public init(line: Int? = nil, key: String? = nil, _ message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = path ?? "config"
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}

extension StringProtocol {
    var trimmed: String {
        var result = Substring(self)
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return String(result)
    }
}
