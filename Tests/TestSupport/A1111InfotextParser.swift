/// AUTOMATIC1111's reader of the `parameters` text, ported from
/// `parse_generation_parameters` in stable-diffusion-webui's
/// modules/infotext_utils.py: the same pair pattern (`re_param_code`), the
/// same last-line rule (the last line holds the parameters only when at
/// least 3 pairs match on it), the same prompt and "Negative prompt:" lines,
/// and `unquote` (`json.loads` of a value in quotes). A1111's defaults for
/// missing keys and its styles are left out: they say nothing about the text.
public enum A1111InfotextParser {
    /// The fields A1111 reads: "Prompt", "Negative prompt" and one per pair
    /// (a `WxH` value becomes "Key-1" and "Key-2", as A1111 does).
    public static func parse(_ text: String) -> [String: String] {
        // Python splits on U+000A alone; Swift's Characters would keep "\r\n" whole.
        var lines = pythonStrip(Substring(text)).unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0))
        }
        var lastLine = lines.removeLast()
        if pairs(in: lastLine).count < 3 {
            lines.append(lastLine)
            lastLine = ""
        }
        var prompt = ""
        var negativePrompt = ""
        var doneWithPrompt = false
        for raw in lines {
            var line = pythonStrip(Substring(raw))
            if line.hasPrefix("Negative prompt:") {
                doneWithPrompt = true
                line = pythonStrip(line.dropFirst(16))
            }
            if doneWithPrompt {
                negativePrompt += (negativePrompt.isEmpty ? "" : "\n") + line
            } else {
                prompt += (prompt.isEmpty ? "" : "\n") + line
            }
        }
        var result = ["Prompt": prompt, "Negative prompt": negativePrompt]
        for (key, rawValue) in pairs(in: lastLine) {
            var value = rawValue
            if value.first == "\"", value.last == "\"" { value = unquote(value) }
            if let size = imageSize(value) {
                result["\(key)-1"] = size.0
                result["\(key)-2"] = size.1
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// `re_param.findall(line)`: (key, value) for each pair.
    public static func pairs(in line: String) -> [(String, String)] {
        // re_param_code = r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)'
        let pattern = try! Regex(#"\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)"#).matchingSemantics(.unicodeScalar)
        return line.matches(of: pattern).map { match in
            (match.output[1].substring.map(String.init) ?? "", match.output[2].substring.map(String.init) ?? "")
        }
    }

    /// `re_imagesize`: `^(\d+)x(\d+)$`.
    private static func imageSize(_ value: String) -> (String, String)? {
        let parts = value.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal } }) else {
            return nil
        }
        return (String(parts[0]), String(parts[1]))
    }

    /// `unquote`: `json.loads(text)`, or the text itself when that fails.
    public static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        var scalars = Array(text.unicodeScalars.dropFirst().dropLast())[...]
        var result = String.UnicodeScalarView()
        func hex4() -> UInt32? {
            guard scalars.count >= 4, let value = UInt32(String(String.UnicodeScalarView(scalars.prefix(4))), radix: 16) else { return nil }
            scalars = scalars.dropFirst(4)
            return value
        }
        while let scalar = scalars.popFirst() {
            if scalar == "\"" || scalar.value < 0x20 { return text }
            guard scalar == "\\" else {
                result.append(scalar)
                continue
            }
            guard let escape = scalars.popFirst() else { return text }
            switch escape {
            case "\"", "\\", "/": result.append(escape)
            case "b": result.append("\u{8}")
            case "f": result.append("\u{C}")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "t": result.append("\t")
            case "u":
                guard var value = hex4() else { return text }
                if (0xD800..<0xDC00).contains(value), scalars.starts(with: ["\\", "u"]) {
                    scalars = scalars.dropFirst(2)
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return text }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let decoded = Unicode.Scalar(value) else { return text }
                result.append(decoded)
            default:
                return text
            }
        }
        return String(result)
    }

    /// Python's `str.strip()`: whitespace as `str.isspace` has it.
    private static func pythonStrip(_ text: Substring) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value) }
        var scalars = text.unicodeScalars[...]
        while let first = scalars.first, isSpace(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, isSpace(last) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
