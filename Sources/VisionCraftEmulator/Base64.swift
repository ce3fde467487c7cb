/// Standard base64 (RFC 4648, padded), as Python's `base64` module writes
/// and reads it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// `base64.b64encode`.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let word = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            output += [alphabet[word >> 18 & 63], alphabet[word >> 12 & 63], alphabet[word >> 6 & 63], alphabet[word & 63]]
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let word = Int(bytes[index]) << 16 | (rest == 2 ? Int(bytes[index + 1]) << 8 : 0)
            output += [alphabet[word >> 18 & 63], alphabet[word >> 12 & 63]]
            output += rest == 2 ? [alphabet[word >> 6 & 63], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `base64.b64decode` without validation: characters outside the
    /// alphabet are skipped; nil when the padding is wrong (binascii.Error).
    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var (buffer, bits, count, padding) = (0, 0, 0, 0)
        for character in text.utf8 {
            if character == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            let value = values[Int(character)]
            guard value != 0xFF else { continue }
            buffer = (buffer << 6 | Int(value)) & 0xFFFFFF
            bits += 6
            count += 1
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(buffer >> bits & 0xFF))
            }
        }
        switch count % 4 {
        case 0: return output
        case 1: return nil
        default: return padding >= 4 - count % 4 ? output : nil
        }
    }
}
