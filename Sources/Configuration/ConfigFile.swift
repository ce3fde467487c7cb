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

    /// Parses `text`.
    ///
    /// - Throws: `ConfigError` with the line and what is wrong.
    public init(parsing text: String) throws(ConfigError) {
        var entries: [Entry] = []
        var section = ""
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = Self.strippingComment(String(raw)).trimmed
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else { throw ConfigError(line: number, "a section header is [name]") }
                section = String(line.dropFirst().dropLast()).trimmed
                guard Self.isBareKey(section) else { throw ConfigError(line: number, "'\(section)' is not a section name (letters, digits, _ and -)") }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw ConfigError(line: number, "expected key = value") }
            let key = String(line[..<equals]).trimmed
            guard Self.isBareKey(key) else { throw ConfigError(line: number, "'\(key)' is not a key name (letters, digits, _ and -)") }
            let name = section.isEmpty ? key : "\(section).\(key)"
            if entries.contains(where: { $0.section == section && $0.key == key }) {
                throw ConfigError(line: number, key: name, "is set twice")
            }
            let value = try Self.value(String(line[line.index(after: equals)...]).trimmed, line: number, key: name)
            entries.append(Entry(section: section, key: key, value: value, line: number))
        }
        self.entries = entries
    }

    /// The entry for `section.key`.
    public func entry(_ name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    // MARK: Private

    private static func isBareKey(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ($0.value < 128 && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
    }

    /// The line without a `#` comment (one inside a string stays).
    private static func strippingComment(_ line: String) -> String {
        var inString = false
        var escaped = false
        var result = ""
        for character in line {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "#" {
                break
            }
            result.append(character)
        }
        return result
    }

    private static func value(_ text: String, line: Int, key: String) throws(ConfigError) -> Value {
        if text.hasPrefix("\"") {
            var rest = Substring(text)
            let string = try quoted(&rest, line: line, key: key)
            guard rest.trimmed.isEmpty else { throw ConfigError(line: line, key: key, "unexpected text after the string") }
            return .string(string)
        }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw ConfigError(line: line, key: key, "an array ends with ] on the same line") }
            var rest = Substring(text.dropFirst().dropLast())
            var values: [String] = []
            while true {
                rest = Substring(rest.trimmed)
                if rest.isEmpty { break }
                guard rest.hasPrefix("\"") else { throw ConfigError(line: line, key: key, "arrays hold strings in double quotes") }
                values.append(try quoted(&rest, line: line, key: key))
                rest = Substring(rest.trimmed)
                if rest.isEmpty { break }
                guard rest.hasPrefix(",") else { throw ConfigError(line: line, key: key, "expected , between array items") }
                rest = rest.dropFirst()
            }
            return .strings(values)
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        let digits = text.replacing("_", with: "")
        if let integer = Int(digits) { return .integer(integer) }
        if let number = Double(digits), number.isFinite, digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .number(number) }
        throw ConfigError(line: line, key: key, "'\(text)' is not a value (strings go in double quotes)")
    }

    /// Reads a double-quoted string at the start of `text`, leaving the rest.
    private static func quoted(_ text: inout Substring, line: Int, key: String) throws(ConfigError) -> String {
        text = text.dropFirst()
        var result = ""
        while let character = text.first {
            text = text.dropFirst()
            switch character {
            case "\"": return result
            case "\\":
                guard let next = text.first else { break }
                text = text.dropFirst()
                switch next {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                default: throw ConfigError(line: line, key: key, "unknown escape \\\(next)")
                }
            default: result.append(character)
            }
        }
        throw ConfigError(line: line, key: key, "the string is not closed")
    }

    /// `text` in double quotes, escaped as the parser reads it.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default: result.append(character)
            }
        }
        return result + "\""
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
