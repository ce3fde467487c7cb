import Posix

/// A parsed response.
public struct ReceivedResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A blocking HTTP client over one TCP connection, with timeouts.
public final class RawHTTPClient {
    public let connection: LineClient

    public init(port: UInt16) throws {
        connection = LineClient(descriptor: try TCPSocket.connect(port: port))
    }

    public func send(_ text: String) throws { try connection.send(text) }

    /// Sends a request with an optional body (Host and Content-Length added).
    public func request(_ method: String, _ target: String, body: String? = nil) throws -> ReceivedResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        try send(text)
        return try readResponse(headOnly: method == "HEAD")
    }

    /// Reads one response (head lines, then Content-Length bytes).
    public func readResponse(headOnly: Bool = false) throws -> ReceivedResponse {
        let statusLine = try connection.readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestFailure("bad status line: \(statusLine)") }
        var headers: [(String, String)] = []
        while true {
            var line = try connection.readLine()
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty { break }
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), String(String(line[line.index(after: colon)...]).drop { $0 == " " })))
        }
        var response = ReceivedResponse(status: status, headers: headers, body: [])
        let length = Int(response.header("content-length") ?? "0") ?? 0
        if !headOnly, length > 0 { response.body = try connection.readExactly(length) }
        return response
    }
}

