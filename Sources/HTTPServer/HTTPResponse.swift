import JSON

/// A response: status, header fields and a body. `Content-Length` and
/// `Connection` are written by the server; do not set them.
package struct HTTPResponse: Sendable {
    package var status: HTTPStatus
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(status: HTTPStatus, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body with `Content-Type: application/json`.
    package static func json(_ value: JSON, status: HTTPStatus = .ok, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: JSONSerializer.serialize(value))
    }

    /// A plain-text body.
    package static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// The status line and header fields, with `Content-Length` and, when
    /// the connection closes after this response, `Connection: close`; an
    /// informational (1xx) response has neither (RFC 9110 section 8.6).
    func head(keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if status.code >= 200 {
            text += "Content-Length: \(body.count)\r\n"
            if !keepAlive { text += "Connection: close\r\n" }
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}

/// How to answer a request: normally with a response; the other cases are
/// misbehaviours an emulator injects on purpose.
package enum HTTPReply: Sendable {
    /// Send the response.
    case response(HTTPResponse)
    /// Reset the connection (TCP RST) without answering.
    case resetConnection
    /// Send the head and only the first `bodyBytes` of the body (which the
    /// head announces in full), then close.
    case truncated(HTTPResponse, bodyBytes: Int)
    /// Send the body in chunks of `chunkBytes`, waiting `interval` between them.
    case throttled(HTTPResponse, chunkBytes: Int, interval: Duration)
    /// Switch protocols: send `response` (a 101 with its `Upgrade` fields)
    /// and hand the connection over to `session`, which speaks the new
    /// protocol until it returns (the connection is then closed). Only for
    /// a request that asked to upgrade (an `Upgrade` field); any other
    /// request gets a 500.
    case upgrade(HTTPResponse, session: @Sendable (UpgradedConnection) async -> Void)
}
