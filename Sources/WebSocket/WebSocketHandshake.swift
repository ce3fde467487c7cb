import Base64Coding

/// The opening handshake (RFC 6455 section 4): the client's GET with
/// `Upgrade: websocket` and a random `Sec-WebSocket-Key`, and the server's
/// 101 whose `Sec-WebSocket-Accept` proves it read that key.
package enum WebSocketHandshake {
    /// The GUID every server appends to the key (section 1.3).
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` a server answers to `key`:
    /// base64(SHA-1(key + GUID)).
    package static func accept(forKey key: String) -> String {
        Base64.encode(SHA1.digest(Array((key + guid).utf8)))
    }

    /// A fresh key: 16 random bytes, base64.
    package static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// The client's request for `path` (with its query) on `host`
    /// (`host:port` when the port is not 80).
    package static func request(path: String, host: String, key: String) -> [UInt8] {
        Array(
            """
            GET \(path) HTTP/1.1\r
            Host: \(host)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: \(key)\r
            Sec-WebSocket-Version: 13\r
            \r

            """.utf8
        )
    }

    /// Checks the server's answer head (status line and fields, without
    /// the blank line) to a request sent with `key`.
    ///
    /// - Throws: `.handshake` saying what was wrong: another status (a
    ///   server without websockets answers 404 or 200), a missing upgrade,
    ///   or an accept that does not match the key.
    package static func check(responseHead head: String, key: String) throws(WebSocketError) {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let status = lines.isEmpty ? "" : lines.removeFirst()
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1] == "101" else {
            throw WebSocketError(.handshake, "the server answered \"\(status.prefix(80))\" instead of switching to a websocket (101)")
        }
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            fields[name] = line[line.index(after: colon)...].trimmingSpaces
        }
        guard fields["upgrade"]?.lowercased() == "websocket" else {
            throw WebSocketError(.handshake, "the server's 101 does not say \"Upgrade: websocket\"")
        }
        guard fields["connection"]?.lowercased().split(separator: ",").contains(where: { $0.trimmingSpaces == "upgrade" }) == true else {
            throw WebSocketError(.handshake, "the server's 101 does not say \"Connection: Upgrade\"")
        }
        let expected = accept(forKey: key)
        guard fields["sec-websocket-accept"] == expected else {
            throw WebSocketError(
                .handshake, "the server's Sec-WebSocket-Accept is \"\(fields["sec-websocket-accept"] ?? "")\", not \"\(expected)\" (a proxy in the way?)"
            )
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
