/// An HTTP/1.x request as received.
package struct HTTPRequest: Sendable, Equatable {
    /// "GET", "POST" ...
    package var method: String
    /// The request target as sent: "/generate", "/models?x=1".
    package var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    package var minorVersion: Int
    /// Header fields in order, names as sent.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(method: String, target: String, minorVersion: Int = 1, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// The target's path, without the query.
    package var path: String {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(decoding: target.utf8[..<question], as: UTF8.self)
    }

    /// The first value of a header (names compare case-insensitively).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercasedASCII == name.lowercasedASCII }?.value
    }

    /// Whether the client wants the connection kept open after the response:
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `keep-alive`.
    package var wantsKeepAlive: Bool {
        let tokens = (header("connection") ?? "").lowercasedASCII.split(separator: ",").map { $0.trimmingBlanks }
        if minorVersion >= 1 { return !tokens.contains("close") }
        return tokens.contains("keep-alive")
    }

    package static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
            && lhs.body == rhs.body
    }
}

extension StringProtocol {
    /// ASCII letters lowered; other characters unchanged (header names and
    /// tokens are ASCII).
    var lowercasedASCII: String {
        String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// Without leading and trailing spaces and tabs.
    var trimmingBlanks: String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
