import Harness
import Posix
import Testing
import TestSupport

@Suite struct LineClientTests {
    @Test func linesAndRawBytesMixInTheOrderTheyCame() async throws {
        try await offPool {
            let (near, far) = try UnixSocket.pair()
            defer { try? far.close() }
            let client = LineClient(descriptor: near)
            // A header line, a body of five bytes (a newline among them),
            // then lines again, all in one write.
            try UnixSocket.sendAll(far, Array("head\nab\ncdone\ntwo\n".utf8))
            #expect(try client.readLine() == "head")
            #expect(try client.readExactly(5) == Array("ab\ncd".utf8))
            #expect(try client.readLines(2) == ["one", "two"])
            try UnixSocket.sendAll(far, Array("tail without newline".utf8))
            try far.close()
            #expect(throws: HarnessError.self) { try client.readLineOrEOF() }
        }
    }

    @Test func aLineInManyPiecesIsOneLineAndEndOfFileIsNil() async throws {
        try await offPool {
            let (near, far) = try UnixSocket.pair()
            let client = LineClient(descriptor: near)
            for piece in ["{\"id\":", "1,\"result\"", ":true}\n"] { try UnixSocket.sendAll(far, Array(piece.utf8)) }
            #expect(try client.readLine() == #"{"id":1,"result":true}"#)
            try far.close()
            #expect(try client.readLineOrEOF() == nil)
        }
    }

    @Test func aSilentServerIsATimeoutNotAHang() async throws {
        try await offPool {
            let (near, far) = try UnixSocket.pair()
            defer { try? far.close() }
            let client = LineClient(descriptor: near)
            #expect(throws: HarnessError.self) { try client.readLine(timeout: .milliseconds(50)) }
        }
    }
}
