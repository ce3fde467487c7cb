/// The kitty terminal graphics protocol
/// (https://sw.kovidgoyal.net/kitty/graphics-protocol/): a PNG file sent as
/// it is, base64 in APC escapes, for kitty, WezTerm and Ghostty.
///
/// The first escape carries the keys: `a=T` (transmit and display), `f=100`
/// (PNG), `q=2` (no replies: they would land in the shell's input), and
/// `c=COLUMNS` when given (the terminal scales the image to that many cells
/// wide, keeping its aspect ratio). Payloads are chunked at 4096 base64
/// bytes; `m=1` marks every chunk but the last, which has `m=0`.
enum KittyGraphics {
    /// The most base64 bytes in one escape (the protocol's limit).
    static let chunkSize = 4096

    /// The escapes that show `png` at the cursor, which ends at the image's
    /// bottom right. No newline is added.
    ///
    /// - Parameters:
    ///   - png: a PNG file's bytes.
    ///   - columns: the width in terminal cells; nil for the image's own size.
    static func encode(png: [UInt8], columns: Int? = nil) -> String {
        let payload = Array(base64(png).utf8)
        var keys = "a=T,f=100,q=2"
        if let columns { keys += ",c=\(columns)" }
        var output = ""
        output.reserveCapacity(payload.count + payload.count / chunkSize * 16 + 64)
        var start = 0
        repeat {
            let end = min(start + chunkSize, payload.count)
            let more = end < payload.count
            let control = start == 0 ? "\(keys),m=\(more ? 1 : 0)" : "m=\(more ? 1 : 0)"
            output += "\u{1B}_G\(control);"
            output += String(decoding: payload[start..<end], as: UTF8.self)
            output += "\u{1B}\\"
            start = end
        } while start < payload.count
        return output
    }

    /// Standard base64 (RFC 4648, with padding).
    static func base64(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            output.append(alphabet[group >> 18])
            output.append(alphabet[group >> 12 & 63])
            output.append(alphabet[group >> 6 & 63])
            output.append(alphabet[group & 63])
            index += 3
        }
        let left = bytes.count - index
        if left > 0 {
            let group = Int(bytes[index]) << 16 | (left == 2 ? Int(bytes[index + 1]) << 8 : 0)
            output += [alphabet[group >> 18], alphabet[group >> 12 & 63]]
            output += left == 2 ? [alphabet[group >> 6 & 63], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
