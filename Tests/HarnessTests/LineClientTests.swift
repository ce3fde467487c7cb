import Harness
import Posix
import Testing
import TestSupport

@Suite struct LineClientTests {
    @Test func linesAndRawBytesMixInTheOrderTheyCame() async throws {
        try await offPool {
            // Each end closed once, by the client that owns it.
            let (near, far) = try UnixSocket.pair()
            let client = LineClient(descriptor: near)
            let server = LineClient(descriptor: far)
            // A header line, a body of five bytes (a newline among them),
            // then lines again, all in one write.
            try server.send("head\nab\ncdone\ntwo\n")
            #expect(try client.readLine() == "head")
            #expect(try client.readExactly(5) == Array("ab\ncd".utf8))
            #expect(try client.readLines(2) == ["one", "two"])
            try server.send("tail without newline")
            server.shutdownWrite()
            #expect(throws: HarnessError.self) { try client.readLineOrEOF() }
        }
    }

    @Test func aLineInManyPiecesIsOneLineAndEndOfFileIsNil() async throws {
        try await offPool {
            let (near, far) = try UnixSocket.pair()
            let client = LineClient(descriptor: near)
            let server = LineClient(descriptor: far)
            for piece in ["{\"id\":", "1,\"result\"", ":true}\n"] { try server.send(piece) }
            #expect(try client.readLine() == #"{"id":1,"result":true}"#)
            server.shutdownWrite()
            #expect(try client.readLineOrEOF() == nil)
        }
    }

    @Test func aSilentServerIsATimeoutNotAHang() async throws {
        try await offPool {
            let (near, far) = try UnixSocket.pair()
            let client = LineClient(descriptor: near)
            let server = LineClient(descriptor: far)
            #expect(throws: HarnessError.self) { try client.readLine(timeout: .milliseconds(50)) }
            server.close()
        }
    }
}
