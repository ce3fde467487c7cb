/// Text from elsewhere (the daemon, the upstream, a file name) made safe to
/// print as text: a control character could move the cursor, clear the
/// screen, retitle the window or write the clipboard (OSC 52), so each one
/// is shown instead. `--json` output is left exact.
package enum TerminalText {
    /// `text` with every C0 control, DEL and C1 control written as a
    /// visible escape: ESC as `\x1b`, BEL as `\x07`, CSI (U+009B) as
    /// `\u{9b}`, a line break as `\n`, a carriage return as `\r`, a tab as
    /// `\t`. Other text, a
    /// backslash included, is kept.
    /// - Parameter keepingLineBreaks: leave line feeds as they are, for a
    ///   message of several lines that vcctl wrote itself.
    package static func visible(_ text: String, keepingLineBreaks: Bool = false) -> String {
        // The usual case has no control at all: no copy.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A where keepingLineBreaks: result.append(scalar)
            case 0x0A: result.append(contentsOf: #"\n"#.unicodeScalars)
            case 0x09: result.append(contentsOf: #"\t"#.unicodeScalars)
            case 0x0D: result.append(contentsOf: #"\r"#.unicodeScalars)
            case 0..<0x20, 0x7F: result.append(contentsOf: "\\x\(hex(scalar.value))".unicodeScalars)
            case 0x80...0x9F: result.append(contentsOf: "\\u{\(hex(scalar.value))}".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }
}
