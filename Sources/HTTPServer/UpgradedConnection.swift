import StreamServer

/// A connection an `HTTPReply.upgrade` took over from HTTP: the bytes the
/// client sends from then on, and a way to send and to close. What speaks
/// the new protocol (a websocket) is the session's business.
package final class UpgradedConnection: Sendable {
    /// Everything the client sends after the upgrade request, in order; it
    /// ends when the client closes its side or the connection closes.
    package let input: AsyncStream<[UInt8]>
    private let connection: Connection

    init(connection: Connection, input: AsyncStream<[UInt8]>) {
        self.connection = connection
        self.input = input
    }

    /// Sends `bytes` (any thread); false once the connection is closed.
    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        connection.send(bytes)
    }

    /// Closes the connection once what was sent is written.
    package func close() {
        connection.close(afterFlush: true)
    }

    package var isClosed: Bool { connection.isClosed }
}
