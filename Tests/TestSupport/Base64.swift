/// Decodes standard base64 (RFC 4648, padding optional), for checking what
/// encoders wrote.
public func decodeBase64(_ text: String) throws -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var bytes: [UInt8] = []
    var (buffer, bits) = (0, 0)
    for character in text.utf8 where character != UInt8(ascii: "=") {
        guard let value = alphabet.firstIndex(of: character) else { throw TestFailure("not base64: \(character)") }
        buffer = buffer << 6 | value
        bits += 6
        if bits >= 8 {
            bits -= 8
            bytes.append(UInt8(buffer >> bits & 0xFF))
        }
    }
    return bytes
}
