/// A `multipart/form-data` body (RFC 7578) split into its parts: what
/// `POST /v1/images/edits` takes.
struct MultipartForm {
    struct Part {
        var name: String
        /// Set for file parts.
        var filename: String?
        var contentType: String?
        var data: [UInt8]

        var text: String { String(decoding: data, as: UTF8.self) }
    }

    var parts: [Part]

    /// Why a body is not a form, worded for the client.
    struct Malformed: Error {
        var reason: String
    }

    /// The boundary parameter of a `multipart/form-data` content type; nil
    /// for any other type.
    static func boundary(contentType: String?) -> String? {
        guard let contentType else { return nil }
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "="), piece[..<equals].lowercased() == "boundary" else { continue }
            var value = piece[piece.index(after: equals)...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    init(_ body: [UInt8], boundary: String) throws(Malformed) {
        let delimiter = Array("--\(boundary)".utf8)
        guard var start = Self.find(delimiter, in: body, from: 0) else { throw Malformed(reason: "no boundary '\(boundary)' in the body") }
        parts = []
        while true {
            start += delimiter.count
            if body[start...].starts(with: Array("--".utf8)) { return }
            guard body[start...].starts(with: Array("\r\n".utf8)) else { throw Malformed(reason: "a boundary line does not end in CRLF") }
            start += 2
            guard let headEnd = Self.find(Array("\r\n\r\n".utf8), in: body, from: start) else { throw Malformed(reason: "a part has no blank line after its headers") }
            let head = String(decoding: body[start..<headEnd], as: UTF8.self)
            guard let next = Self.find(Array("\r\n".utf8) + delimiter, in: body, from: headEnd + 4) else {
                throw Malformed(reason: "the body ends before the closing boundary")
            }
            parts.append(try Self.part(head: head, data: Array(body[(headEnd + 4)..<next])))
            start = next + 2
        }
    }

    /// The named parts, in order.
    func parts(named name: String) -> [Part] { parts.filter { $0.name == name } }

    private static func part(head: String, data: [UInt8]) throws(Malformed) -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let header = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if header == "content-type" { contentType = value }
            guard header == "content-disposition" else { continue }
            for parameter in value.split(separator: ";").dropFirst() {
                let pair = parameter.trimmingCharacters(in: " \t")
                guard let equals = pair.firstIndex(of: "=") else { continue }
                var text = pair[pair.index(after: equals)...]
                if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
                switch pair[..<equals].lowercased() {
                case "name": name = String(text)
                case "filename": filename = String(text)
                default: break
                }
            }
        }
        guard let name else { throw Malformed(reason: "a part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, data: data)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = start
        let first = needle[0]
        while index + needle.count <= haystack.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
