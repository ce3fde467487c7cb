import JSON
import JSONRPC
import Posix
import Testing

@Suite struct RPCClientTests {
    /// The client's lines come through LineFramer: a reply in pieces, two
    /// messages in one read, blank lines between them.
    @Test func repliesAreFramedWhateverTheReadsCutThemInto() throws {
        let (near, far) = try UnixSocket.pair()
        defer { try? far.close() }
        let client = RPCClient(descriptor: near)
        // Written before the call: the client reads them while it waits.
        let notification = #"{"jsonrpc":"2.0","method":"job.updated","params":{"id":"a"}}"#
        try UnixSocket.sendAll(far, Array((notification + "\n \r\n" + #"{"jsonrpc":"2.0","id":1,"res"#).utf8))
        try UnixSocket.sendAll(far, Array(#"ult":{"ok":true}}"# .utf8) + [0x0A] + Array(#"{"jsonrpc":"2.0","id":2,"result":7}"#.utf8) + [0x0A])
        #expect(try client.call("x.first", timeout: .seconds(60)) == ["ok": true])
        #expect(try client.call("x.second", timeout: .seconds(60)) == 7)
        #expect(try client.nextNotification(timeout: .seconds(60))?.method == "job.updated")
    }

    @Test func aReplyThatIsNotJSONIsMalformed() throws {
        let (near, far) = try UnixSocket.pair()
        defer { try? far.close() }
        let client = RPCClient(descriptor: near)
        try UnixSocket.sendAll(far, Array("not json\n".utf8))
        #expect(throws: RPCClientError.self) { try client.call("x", timeout: .seconds(60)) }
    }
}
