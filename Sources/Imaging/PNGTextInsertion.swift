/// Adds a text chunk to an encoded PNG without decoding it: the chunk goes
/// right after IHDR, the pixels are left as they are, and a text chunk the
/// image already had under the same keyword is dropped (a reader would take
/// one or the other). How the daemon stamps the `parameters` chunk on an
/// image a backend made (AUTOMATIC1111 writes its own, which the daemon's
/// replaces with the same text and the job's pairs).
public enum PNGTextInsertion {
    /// `png` with `chunk` added: a tEXt chunk when the text is ASCII, else an
    /// uncompressed iTXt chunk in UTF-8 (what PIL, and so AUTOMATIC1111, write).
    ///
    /// - Throws: `ImagingError` when `png` does not start with a signature and
    ///   an intact IHDR chunk, or the keyword is not a PNG keyword.
    public static func inserting(_ chunk: PNGCodec.TextChunk, into png: [UInt8]) throws(ImagingError) -> [UInt8] {
        let keyword = Array(chunk.keyword.utf8)
        guard (1...79).contains(keyword.count), keyword.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), keyword.first != 0x20, keyword.last != 0x20 else {
            throw ImagingError("'\(chunk.keyword)' is not a PNG text keyword (1 to 79 printable ASCII characters)")
        }
        guard PNGCodec.hasSignature(png), png.count >= 8 + 25 else { throw ImagingError("not a PNG: no signature") }
        let ihdrLength = Int(png[8]) << 24 | Int(png[9]) << 16 | Int(png[10]) << 8 | Int(png[11])
        guard ihdrLength == 13, png[12..<16].elementsEqual(Array("IHDR".utf8)) else {
            throw ImagingError("not a PNG: the first chunk is not IHDR")
        }
        let afterHeader = 8 + 12 + ihdrLength
        guard CRC32.checksum(png[12..<(afterHeader - 4)]) == bigEndian(png, at: afterHeader - 4) else {
            throw ImagingError("not a PNG: the IHDR checksum is wrong")
        }
        let text = Array(chunk.text.utf8)
        let isASCII = text.allSatisfy { $0 < 0x80 }
        var body: [UInt8] = Array((isASCII ? "tEXt" : "iTXt").utf8) + keyword + [0]
        if !isASCII {
            // Not compressed, compression method 0, no language tag, no translated keyword.
            body += [0, 0, 0, 0]
        }
        body += text
        let length = body.count - 4
        var result: [UInt8] = []
        result.reserveCapacity(png.count + body.count + 8)
        result += png[..<afterHeader]
        result += [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        result += body
        let crc = CRC32.checksum(body[...])
        result += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        result += withoutText(keyword, png, from: afterHeader)
        return result
    }

    /// The chunks of `png` from `start` on, less the text chunks (tEXt, zTXt,
    /// iTXt) whose keyword is `keyword`. A chunk that runs past the end is
    /// kept as it is, with all that follows.
    private static func withoutText(_ keyword: [UInt8], _ png: [UInt8], from start: Int) -> ArraySlice<UInt8> {
        let textTypes: [[UInt8]] = [Array("tEXt".utf8), Array("zTXt".utf8), Array("iTXt".utf8)]
        var kept: [UInt8] = []
        var offset = start
        while offset + 12 <= png.count {
            let length = Int(bigEndian(png, at: offset))
            let end = offset + 12 + length
            guard length <= png.count, end <= png.count else { break }
            let type = Array(png[(offset + 4)..<(offset + 8)])
            let data = png[(offset + 8)..<(offset + 8 + length)]
            let named = data.prefix { $0 != 0 }
            if !(textTypes.contains(type) && named.elementsEqual(keyword) && named.count < data.count) {
                kept += png[offset..<end]
            }
            offset = end
        }
        kept += png[offset...]
        return kept[...]
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

/// CRC-32 as PNG (and zlib) computes it: polynomial 0xEDB88320, reflected.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
