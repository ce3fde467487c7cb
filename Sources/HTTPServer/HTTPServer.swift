import Posix
import StreamServer

/// A small HTTP/1.1 server on our own event loops (no Foundation): keep-alive,
/// pipelining with replies in order, `Content-Length` bodies, bounded request
/// sizes, and a 400 (or 413, 431, 501, 505) for anything malformed, after
/// which that connection is closed and the others go on.
///
/// Handlers are async and run in tasks; a slow one delays only the replies
/// behind it on the same connection.
package final class HTTPServer: Sendable {
    /// Answers one request.
    package typealias Handler = @Sendable (HTTPRequest) async -> HTTPReply

    /// Where to listen and how much to accept.
    package struct Configuration: Sendable {
        /// A numeric IPv4 address; loopback by default.
        package var host: String
        /// 0 picks a free port (see `HTTPServer.port`).
        package var port: UInt16
        package var limits: HTTPRequestParser.Limits
        /// Requests read ahead on one connection before reading pauses.
        package var maximumPipelined: Int
        package var stream: StreamServer.Configuration

        package init(
            host: String = "127.0.0.1",
            port: UInt16 = 0,
            limits: HTTPRequestParser.Limits = .init(),
            maximumPipelined: Int = 32,
            stream: StreamServer.Configuration = .init()
        ) {
            self.host = host
            self.port = port
            self.limits = limits
            self.maximumPipelined = maximumPipelined
            self.stream = stream
        }
    }

    package let configuration: Configuration
    /// The port the server listens on (the chosen one when asked for 0).
    package let port: UInt16
    private let listener: FileDescriptor
    private let stream: StreamServer

    /// Binds and prepares the server; `start()` begins serving.
    package init(configuration: Configuration = Configuration(), handler: @escaping Handler) throws(SystemError) {
        self.configuration = configuration
        (listener, port) = try TCPSocket.listen(host: configuration.host, port: configuration.port)
        do {
            stream = try StreamServer(listening: listener, configuration: configuration.stream) { connection in
                TCPSocket.setNoDelay(connection.descriptor)
                return HTTPConnection(
                    connection: connection, handler: handler,
                    limits: configuration.limits, maximumPipelined: configuration.maximumPipelined
                )
            }
        } catch {
            try? listener.close()
            throw error
        }
    }

    /// The server's base URL: `http://127.0.0.1:PORT`.
    package var baseURL: String { "http://\(configuration.host):\(port)" }

    /// Starts accepting and serving.
    package func start() throws(SystemError) {
        try stream.start()
    }

    /// Connections open now.
    package var connectionCount: Int { stream.connectionCount }

    /// Closes every connection and the listening socket.
    package func stop() {
        stream.stop()
        try? listener.close()
    }
}
