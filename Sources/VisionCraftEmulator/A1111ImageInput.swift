import Base64Coding
import HTTPServer
import Imaging
import JSON

/// An image a request sends (`init_images`, `mask`), read as
/// `decode_base64_to_image` reads it: base64, a `data:image/...` URL, or an
/// http(s) URL. The emulator fetches nothing, and takes an image by its
/// format's signature (PIL opens these lazily too): a PNG must decode.
enum A1111ImageInput {
    enum Decoded {
        /// The image's bytes (what the picture drawn depends on).
        case image([UInt8])
        case failure(HTTPReply)
    }

    /// Signatures of formats PIL opens besides PNG: JPEG, GIF, WebP (after
    /// "RIFF" and a length), BMP, TIFF both ways.
    private static let signatures: [(offset: Int, bytes: [UInt8])] = [
        (0, [0xFF, 0xD8, 0xFF]), (0, Array("GIF8".utf8)), (8, Array("WEBP".utf8)), (0, Array("BM".utf8)),
        (0, [0x49, 0x49, 0x2A, 0x00]), (0, [0x4D, 0x4D, 0x00, 0x2A]),
    ]

    static func decode(_ value: JSON) -> Decoded {
        guard case .string(var encoding) = value else {
            // Python calls `encoding.startswith` on whatever it was given.
            return .failure(A1111Service.pythonError("AttributeError", "'\(pythonType(value))' object has no attribute 'startswith'"))
        }
        if encoding.hasPrefix("http://") || encoding.hasPrefix("https://") {
            // api_forbid_local_requests is on by default; anything else
            // would need the network, which the emulator never uses.
            let detail = isLocal(encoding) ? "Request to local resource not allowed" : "Invalid image url"
            return .failure(A1111Service.httpException(.internalServerError, detail))
        }
        if encoding.hasPrefix("data:image/") {
            // encoding.split(";")[1].split(",")[1]
            let afterSemicolon = encoding.split(separator: ";", omittingEmptySubsequences: false)
            guard afterSemicolon.count > 1 else { return .failure(A1111Service.pythonError("IndexError", "list index out of range")) }
            let afterComma = afterSemicolon[1].split(separator: ",", omittingEmptySubsequences: false)
            guard afterComma.count > 1 else { return .failure(A1111Service.pythonError("IndexError", "list index out of range")) }
            encoding = String(afterComma[1])
        }
        guard let bytes = Base64.decode(encoding), isImage(bytes) else {
            return .failure(A1111Service.httpException(.internalServerError, "Invalid encoded image"))
        }
        return .image(bytes)
    }

    private static func isImage(_ bytes: [UInt8]) -> Bool {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return (try? PNGCodec.decode(bytes)) != nil }
        return signatures.contains { signature in
            bytes.count >= signature.offset + signature.bytes.count
                && bytes[signature.offset..<(signature.offset + signature.bytes.count)].elementsEqual(signature.bytes)
        }
    }

    /// Whether a URL names this machine or a private network (`verify_url`
    /// refuses any address that is not global).
    private static func isLocal(_ url: String) -> Bool {
        let rest = url.drop { $0 != "/" }.dropFirst(2)
        var host = String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if host.hasPrefix("[") { return host.hasPrefix("[::1]") || host.lowercased().hasPrefix("[fe80") || host.lowercased().hasPrefix("[fc") || host.lowercased().hasPrefix("[fd") }
        host = String(host.prefix { $0 != ":" }).lowercased()
        if host == "localhost" || host.hasSuffix(".localhost") || host.isEmpty { return true }
        let octets = host.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return false }
        return octets[0] == 127 || octets[0] == 10 || octets[0] == 0 || (octets[0] == 192 && octets[1] == 168)
            || (octets[0] == 172 && (16...31).contains(octets[1])) || (octets[0] == 169 && octets[1] == 254)
    }

    /// Python's name for a JSON value's type.
    static func pythonType(_ value: JSON) -> String {
        switch value {
        case .null: "NoneType"
        case .bool: "bool"
        case .number(let number): number.isIntegerLiteral ? "int" : "float"
        case .string: "str"
        case .array: "list"
        case .object: "dict"
        }
    }
}
