import JSON

/// Python's text forms, which A1111's answers are made of: `str()` of a
/// value (infotext values), `repr()` of a float or string, and `json.dumps`
/// with its defaults (ASCII only, ", " and ": " separators) for `info`.
enum PythonFormat {
    /// `str(value)` for a JSON value as Python holds it: `7.0`, `True`, `None`.
    static func str(_ value: JSON) -> String {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .number(let number): number.isIntegerLiteral ? number.text : float(number.double)
        case .string(let text): text
        case .array, .object: dumps(value)
        }
    }

    /// `repr(float)`: the shortest digits that read back, fixed notation for
    /// decimal exponents -4 to 15, else `1e-05`, `1.5e+16`.
    static func float(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        // Swift's description has the same shortest digits; only the layout differs.
        var text = Substring(value.description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let point = text.firstIndex(of: ".") ?? text.endIndex
        let integerPart = text[..<point]
        let fraction = point == text.endIndex ? "" : text[text.index(after: point)...]
        var digits = Array(integerPart + fraction)
        // The value is 0.d1d2... x 10^decimalPoint.
        var decimalPoint = integerPart.count + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            decimalPoint -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let sign = negative ? "-" : ""
        if digits == ["0"] { return sign + "0.0" }
        let scientificExponent = decimalPoint - 1
        if (-4..<16).contains(scientificExponent) {
            if decimalPoint <= 0 {
                return sign + "0." + String(repeating: "0", count: -decimalPoint) + String(digits)
            }
            if decimalPoint >= digits.count {
                return sign + String(digits) + String(repeating: "0", count: decimalPoint - digits.count) + ".0"
            }
            return sign + String(digits[..<decimalPoint]) + "." + String(digits[decimalPoint...])
        }
        let mantissa = digits.count == 1 ? String(digits) : String(digits[0]) + "." + String(digits[1...])
        let magnitude = abs(scientificExponent)
        return sign + mantissa + "e" + (scientificExponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    /// `repr(str)`: single quotes unless the text has one and no double quote.
    static func repr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if Character(scalar) == quote {
                    result += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + hex(scalar.value, digits: 2)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + String(quote)
    }

    /// `json.dumps(value)` (or with `ensure_ascii=False`): numbers keep their
    /// text, except that a float reads as Python writes it.
    static func dumps(_ value: JSON, ensureASCII: Bool = true) -> String {
        var output = ""
        write(value, ensureASCII: ensureASCII, to: &output)
        return output
    }

    private static func write(_ value: JSON, ensureASCII: Bool, to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number): output += number.isIntegerLiteral ? number.text : float(number.double)
        case .string(let text): writeString(text, ensureASCII: ensureASCII, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += ", " }
                write(item, ensureASCII: ensureASCII, to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, (key, item)) in object.enumerated() {
                if index > 0 { output += ", " }
                writeString(key, ensureASCII: ensureASCII, to: &output)
                output += ": "
                write(item, ensureASCII: ensureASCII, to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ text: String, ensureASCII: Bool, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        // UTF-16 surrogate pair, as json.dumps writes it.
                        let offset = scalar.value - 0x10000
                        output += "\\u" + hex(0xD800 + (offset >> 10), digits: 4) + "\\u" + hex(0xDC00 + (offset & 0x3FF), digits: 4)
                    } else {
                        output += "\\u" + hex(scalar.value, digits: 4)
                    }
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
