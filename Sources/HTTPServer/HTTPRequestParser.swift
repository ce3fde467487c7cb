/// An incremental HTTP/1.x request parser (RFC 9112), for a server.
///
/// Bytes arrive in any pieces; `nextRequest()` hands out complete requests in
/// order, so pipelined requests work. Bodies are `Content-Length` only
/// (`Transfer-Encoding` is answered with 501). Limits bound the head, the
/// number of header fields and the body; anything malformed is an
/// `HTTPParseError` carrying the status to answer with. After an error the
/// parser stays failed: the connection is to be closed.
package struct HTTPRequestParser: Sendable {
    /// Size limits.
    package struct Limits: Sendable {
        /// Request line and header fields together.
        package var maximumHeadBytes: Int
        package var maximumHeaderCount: Int
        package var maximumBodyBytes: Int

        package init(maximumHeadBytes: Int = 16 * 1024, maximumHeaderCount: Int = 100, maximumBodyBytes: Int = 16 << 20) {
            self.maximumHeadBytes = maximumHeadBytes
            self.maximumHeaderCount = maximumHeaderCount
            self.maximumBodyBytes = maximumBodyBytes
        }
    }

    /// What the buffered bytes hold now.
    package enum Outcome: Sendable, Equatable {
        case request(HTTPRequest)
        /// Not a complete request yet.
        case needMoreData
        case failure(HTTPParseError)
    }

    package let limits: Limits
    private var buffer: [UInt8] = []
    private var start = 0
    /// A parsed head waiting for its body.
    private var pending: (request: HTTPRequest, bodyLength: Int)?
    private var failed: HTTPParseError?
    /// Where the search for the end of the head resumes (bytes before it
    /// were searched already: a head that trickles in is not rescanned).
    private var searchFrom = 0

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes buffered and not yet handed out.
    package var bufferedByteCount: Int { buffer.count - start }

    /// Hands out the bytes buffered after the last request and empties the
    /// buffer: what a client sent after a request that switched protocols.
    package mutating func takeBuffered() -> [UInt8] {
        let rest = Array(buffer[start...])
        buffer.removeAll()
        start = 0
        searchFrom = 0
        return rest
    }

    /// Adds received bytes.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failed == nil else { return }
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            searchFrom = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete request, if the buffer holds one.
    package mutating func nextRequest() -> Outcome {
        if let failed { return .failure(failed) }
        if pending == nil {
            switch parseHead() {
            case .failure(let error):
                failed = error
                buffer = []
                start = 0
                return .failure(error)
            case .needMoreData:
                return .needMoreData
            case .request:
                break
            }
        }
        guard let (request, length) = pending else { return .needMoreData }
        guard bufferedByteCount >= length else { return .needMoreData }
        var complete = request
        complete.body = Array(buffer[start..<(start + length)])
        start += length
        pending = nil
        compact()
        return .request(complete)
    }

    // MARK: Private

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            start = 0
            searchFrom = 0
        } else if start > 1 << 16, start > buffer.count / 2 {
            buffer.removeFirst(start)
            searchFrom = max(0, searchFrom - start)
            start = 0
        }
    }

    /// Parses the head if it is complete; sets `pending`.
    private mutating func parseHead() -> Outcome {
        // RFC 9112 2.2: ignore empty lines before the request line.
        while bufferedByteCount >= 1, buffer[start] == 0x0A || (buffer[start] == 0x0D && bufferedByteCount >= 2 && buffer[start + 1] == 0x0A) {
            start += buffer[start] == 0x0D ? 2 : 1
        }
        if searchFrom < start { searchFrom = start }
        guard let headEnd = findHeadEnd() else {
            if bufferedByteCount > limits.maximumHeadBytes {
                return .failure(HTTPParseError(.headerFieldsTooLarge, "the request head is larger than \(limits.maximumHeadBytes) bytes"))
            }
            return .needMoreData
        }
        if headEnd.contentEnd - start > limits.maximumHeadBytes {
            return .failure(HTTPParseError(.headerFieldsTooLarge, "the request head is larger than \(limits.maximumHeadBytes) bytes"))
        }
        let lines = splitLines(from: start, to: headEnd.contentEnd)
        start = headEnd.bodyStart
        guard let requestLine = lines.first else {
            return .failure(HTTPParseError(.badRequest, "an empty request"))
        }
        var request: HTTPRequest
        switch parseRequestLine(requestLine) {
        case .success(let parsed): request = parsed
        case .failure(let error): return .failure(error)
        }
        if lines.count - 1 > limits.maximumHeaderCount {
            return .failure(HTTPParseError(.headerFieldsTooLarge, "more than \(limits.maximumHeaderCount) header fields"))
        }
        for line in lines.dropFirst() {
            switch parseField(line) {
            case .success(let field): request.headers.append(field)
            case .failure(let error): return .failure(error)
            }
        }
        switch bodyLength(of: request) {
        case .success(let length):
            pending = (request, length)
            return .request(request)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Where the head ends: the blank line (CRLF CRLF, or bare LFs).
    private mutating func findHeadEnd() -> (contentEnd: Int, bodyStart: Int)? {
        // Resume two bytes back: the blank line may straddle the old end.
        var index = max(start, searchFrom - 2)
        while index < buffer.count {
            if buffer[index] == 0x0A {
                if index + 1 < buffer.count, buffer[index + 1] == 0x0A {
                    searchFrom = index + 2
                    return (index, index + 2)
                }
                if index + 2 < buffer.count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A {
                    searchFrom = index + 3
                    return (index, index + 3)
                }
            }
            index += 1
        }
        searchFrom = buffer.count
        return nil
    }

    /// The head's lines without their CR LF.
    private func splitLines(from lower: Int, to upper: Int) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = lower
        var index = lower
        while index <= upper {
            if index == upper || buffer[index] == 0x0A {
                var end = index
                if end > lineStart, buffer[end - 1] == 0x0D { end -= 1 }
                lines.append(buffer[lineStart..<end])
                lineStart = index + 1
            }
            index += 1
        }
        return lines
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<HTTPRequest, HTTPParseError> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(HTTPParseError(.badRequest, "the request line must be 'METHOD TARGET HTTP/1.1'"))
        }
        guard parts[0].allSatisfy(Self.isTokenCharacter) else {
            return .failure(HTTPParseError(.badRequest, "the method is not a token"))
        }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(HTTPParseError(.badRequest, "the request target has spaces or control characters"))
        }
        let version = Array(parts[2])
        guard version.count == 8, Array(version[0..<7]) == Array("HTTP/1.".utf8) else {
            if version.starts(with: Array("HTTP/".utf8)) {
                return .failure(HTTPParseError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are spoken here"))
            }
            return .failure(HTTPParseError(.badRequest, "the request line must end with HTTP/1.1"))
        }
        guard version[7] == UInt8(ascii: "0") || version[7] == UInt8(ascii: "1") else {
            return .failure(HTTPParseError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are spoken here"))
        }
        return .success(HTTPRequest(
            method: String(decoding: parts[0], as: UTF8.self),
            target: String(decoding: parts[1], as: UTF8.self),
            minorVersion: Int(version[7] - UInt8(ascii: "0"))
        ))
    }

    private func parseField(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), HTTPParseError> {
        if let first = line.first, first == 0x20 || first == 0x09 {
            return .failure(HTTPParseError(.badRequest, "obsolete line folding in a header field"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
            return .failure(HTTPParseError(.badRequest, "a header field without a name and ':'"))
        }
        let name = line[..<colon]
        guard name.allSatisfy(Self.isTokenCharacter) else {
            return .failure(HTTPParseError(.badRequest, "a header field name with invalid characters (or a space before ':')"))
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
            return .failure(HTTPParseError(.badRequest, "a header field value with control characters"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private func bodyLength(of request: HTTPRequest) -> Result<Int, HTTPParseError> {
        if request.minorVersion >= 1, request.header("host") == nil {
            return .failure(HTTPParseError(.badRequest, "an HTTP/1.1 request needs a Host header"))
        }
        if request.header("transfer-encoding") != nil {
            return .failure(HTTPParseError(.notImplemented, "Transfer-Encoding is not supported; send Content-Length"))
        }
        let lengths = request.headers.filter { $0.name.lowercasedASCII == "content-length" }.map(\.value)
        guard let first = lengths.first else { return .success(0) }
        // Several fields (or a list) must all agree (RFC 9110 8.6).
        let values = lengths.flatMap { $0.split(separator: ",").map { $0.trimmingBlanks } }
        guard values.allSatisfy({ $0 == values[0] }) else {
            return .failure(HTTPParseError(.badRequest, "conflicting Content-Length values: \(lengths.joined(separator: ", "))"))
        }
        let text = values.first ?? first
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
            return .failure(HTTPParseError(.badRequest, "Content-Length is not a number of bytes: '\(first)'"))
        }
        if length > limits.maximumBodyBytes {
            return .failure(HTTPParseError(.contentTooLarge, "the body is \(length) bytes; the limit is \(limits.maximumBodyBytes)"))
        }
        return .success(length)
    }

    /// RFC 9110 tchar.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
