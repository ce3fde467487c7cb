/// A `multipart/form-data` body (RFC 7578), for `POST /upload/image`: text
/// fields and files, each part separated by a boundary of 128 random bits,
/// which no image or prompt holds by chance.
struct MultipartForm {
    let boundary: String
    private(set) var body: [UInt8] = []

    init(boundary: String = MultipartForm.randomBoundary()) {
        self.boundary = boundary
    }

    /// The `Content-Type` header's value.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A text field. Names are ours (ASCII, no quotes); a value is sent as
    /// it is, UTF-8, which the parts' framing does not need escaped.
    mutating func append(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8)
        body += Array(value.utf8)
        body += Array("\r\n".utf8)
    }

    /// A file field.
    mutating func append(_ name: String, file bytes: [UInt8], filename: String, contentType: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n".utf8)
    }

    /// The body, closed.
    var closed: [UInt8] { body + Array("--\(boundary)--\r\n".utf8) }

    static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = (generator.next() as UInt64, generator.next() as UInt64)
        return "visioncraft-" + String(bits.0, radix: 16) + String(bits.1, radix: 16)
    }
}
