import HTTPServer
import Testing
import TestSupport

/// Feeds chunks and collects what the parser hands out.
func parse(_ chunks: [[UInt8]], limits: HTTPRequestParser.Limits = .init()) -> [HTTPRequestParser.Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [HTTPRequestParser.Outcome] = []
    for chunk in chunks {
        parser.append(chunk)
        while true {
            let outcome = parser.nextRequest()
            if outcome == .needMoreData { break }
            outcomes.append(outcome)
            if case .failure = outcome { return outcomes }
        }
    }
    return outcomes
}

func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> [HTTPRequestParser.Outcome] {
    parse([Array(text.utf8)], limits: limits)
}

/// The status of the first failure, if any.
func failureStatus(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
    for outcome in parse(text, limits: limits) {
        if case .failure(let error) = outcome { return error.status.code }
    }
    return nil
}

@Suite struct HTTPRequestParserTests {
    let post = "POST /generate?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n"

    @Test func aRequestWithABody() throws {
        let outcomes = parse(post)
        guard case .request(let request)? = outcomes.first else {
            Issue.record("no request: \(outcomes)")
            return
        }
        #expect(outcomes.count == 1)
        #expect(request.method == "POST")
        #expect(request.target == "/generate?x=1")
        #expect(request.path == "/generate")
        #expect(request.minorVersion == 1)
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("CONTENT-LENGTH") == "11")
        #expect(String(decoding: request.body, as: UTF8.self) == "{\"a\":\"bc\"}\n")
        #expect(request.wantsKeepAlive)
    }

    @Test func everySplitPointAndByteByByteGiveTheSameRequest() {
        let bytes = Array(post.utf8)
        let whole = parse([bytes])
        for split in 0...bytes.count {
            #expect(parse([Array(bytes[..<split]), Array(bytes[split...])]) == whole, "split at \(split)")
        }
        #expect(parse(bytes.map { [$0] }) == whole)
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let two = post + "GET /models HTTP/1.1\r\nHost: h\r\n\r\n"
        let outcomes = parse(two)
        #expect(outcomes.count == 2)
        if case .request(let second)? = outcomes.last { #expect(second.target == "/models") }
    }

    @Test func bareLineFeedsAndLeadingEmptyLinesAreAccepted() {
        let outcomes = parse("\r\n\nGET / HTTP/1.1\nHost: h\nX-A:  spaced value \t\n\n")
        guard case .request(let request)? = outcomes.first else {
            Issue.record("no request: \(outcomes)")
            return
        }
        #expect(request.header("x-a") == "spaced value")
    }

    @Test func keepAliveDefaults() {
        func keepAlive(_ head: String) -> Bool? {
            if case .request(let request)? = parse(head).first { return request.wantsKeepAlive }
            return nil
        }
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == true)
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == true)
    }

    @Test(arguments: [
        ("GET /\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{01}b\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413),
    ])
    func malformedRequestsGetTheirStatus(text: String, status: Int) {
        #expect(failureStatus(text, limits: .init(maximumBodyBytes: 1000)) == status, "\(text)")
    }

    @Test func agreeingContentLengthsAreFine() {
        let outcomes = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc")
        guard case .request(let request)? = outcomes.first else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(request.body == Array("abc".utf8))
    }

    @Test func anOversizedHeadIs431WithOrWithoutItsEnd() {
        let limits = HTTPRequestParser.Limits(maximumHeadBytes: 100)
        let big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 200)
        #expect(failureStatus(big, limits: limits) == 431, "found before the head ends")
        #expect(failureStatus(big + "\r\n\r\n", limits: limits) == 431)
        var many = "GET / HTTP/1.1\r\nHost: h\r\n"
        for index in 0..<20 { many += "X-\(index): v\r\n" }
        #expect(failureStatus(many + "\r\n", limits: .init(maximumHeaderCount: 10)) == 431)
    }

    @Test func afterAFailureNothingMoreComesOut() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .failure = parser.nextRequest() else {
            Issue.record("expected a failure")
            return
        }
        guard case .failure = parser.nextRequest() else {
            Issue.record("the parser recovered from a failure")
            return
        }
    }

    @Test func aHeadTricklingInIsNotRescannedQuadratically() {
        // 16 KiB, one byte at a time: linear work stays far under a second.
        var parser = HTTPRequestParser(limits: .init(maximumHeadBytes: 64 * 1024))
        var head = Array("GET / HTTP/1.1\r\nHost: h\r\nX: ".utf8)
        head += [UInt8](repeating: 0x61, count: 16 * 1024)
        head += Array("\r\n\r\n".utf8)
        var result = HTTPRequestParser.Outcome.needMoreData
        let elapsed = measureThreadCPUTime {
            for byte in head {
                parser.append([byte])
                result = parser.nextRequest()
            }
        }
        if case .request = result {} else { Issue.record("no request: \(result)") }
        #expect(elapsed < .seconds(2), "\(elapsed) of CPU")
    }
}
