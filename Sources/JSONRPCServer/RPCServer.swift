import JSONRPC
import Posix
import StreamServer

/// A JSON-RPC 2.0 server over a listening stream socket: one `RPCSession`
/// per connection, all on a `StreamServer`'s event loops.
package final class RPCServer: Sendable {
    /// Limits and threading.
    package struct Configuration: Sendable {
        /// The longest message (line) accepted, in bytes; default 16 MiB.
        package var maximumMessageBytes: Int
        /// Asynchronous requests in flight per connection before reading pauses.
        package var maximumInFlightPerConnection: Int
        /// Of those, the ones that build their replies (`RPCMethodTable.Work`):
        /// each may be large, so one connection builds only a few at once.
        package var maximumBuildingPerConnection: Int
        package var dispatch: RPCDispatcher.Limits
        package var stream: StreamServer.Configuration

        package init(
            maximumMessageBytes: Int = 16 << 20,
            maximumInFlightPerConnection: Int = 128,
            maximumBuildingPerConnection: Int = 2,
            dispatch: RPCDispatcher.Limits = .init(),
            stream: StreamServer.Configuration = .init()
        ) {
            self.maximumMessageBytes = maximumMessageBytes
            self.maximumInFlightPerConnection = maximumInFlightPerConnection
            self.maximumBuildingPerConnection = max(1, maximumBuildingPerConnection)
            self.dispatch = dispatch
            self.stream = stream
        }
    }

    /// Decides whether a new connection is served (checks the peer); logs
    /// refusals itself.
    package typealias Admission = @Sendable (_ connectionID: UInt64, _ peer: PeerCredentials?) -> Bool

    package let configuration: Configuration
    private let stream: StreamServer
    private let sessions = SessionTable()
    private let burst = RequestBurst()

    /// Creates a server for `socket` (bound and listening; the caller closes
    /// it after `stop()`).
    ///
    /// - Parameters:
    ///   - dispatcher: the methods and message limits.
    ///   - admit: called for every new connection before anything is read.
    ///   - log: one-line messages about trouble the server handled.
    package init(
        listening socket: FileDescriptor,
        dispatcher: RPCDispatcher,
        configuration: Configuration = Configuration(),
        log: @escaping @Sendable (String) -> Void = { _ in },
        admit: @escaping Admission = { _, _ in true }
    ) throws(SystemError) {
        self.configuration = configuration
        let sessions = self.sessions
        let burst = self.burst
        stream = try StreamServer(listening: socket, configuration: configuration.stream, log: log) { connection in
            guard admit(connection.id, connection.peer) else { return nil }
            let session = RPCSession(
                connection: connection,
                dispatcher: dispatcher,
                maximumLineLength: configuration.maximumMessageBytes,
                maximumInFlight: configuration.maximumInFlightPerConnection,
                maximumBuilding: configuration.maximumBuildingPerConnection,
                burst: burst,
                onClose: { closed in sessions.remove(closed.connectionID) }
            )
            sessions.insert(session)
            return session
        }
    }

    /// Starts the event loops and accepting.
    package func start() throws(SystemError) {
        try stream.start()
    }

    /// Accepts on `socket` from now on instead of the listening socket in
    /// use; open connections stay open, and the caller closes the old socket
    /// once this returns (see `StreamServer.replaceListener(with:)`).
    ///
    /// - Important: blocks until the accepting loop made the swap.
    package func replaceListener(with socket: FileDescriptor) throws(SystemError) {
        try stream.replaceListener(with: socket)
    }

    /// Connections open now.
    package var connectionCount: Int { stream.connectionCount }

    /// The sessions open now.
    package var openSessions: [RPCSession] {
        sessions.all
    }

    /// Stops accepting, lets every connection finish the requests it has in
    /// flight (no new ones are read), and waits until all are closed or
    /// `timeout` passes. Then `stop()` closes whatever is left.
    ///
    /// - Parameter notAccepting: runs once the listener is off its loop and
    ///   before the wait (its owner may close it there).
    /// - Returns: true if every connection finished in time.
    /// - Important: blocks; call from a thread of your own.
    @discardableResult
    package func drain(timeout: Duration, notAccepting: () -> Void = {}) -> Bool {
        stream.stopAccepting()
        notAccepting()
        for session in openSessions { session.beginDrain() }
        return stream.waitUntilIdle(timeout: timeout)
    }

    /// Closes every connection and stops the event loops.
    package func stop() {
        stream.stop()
    }
}

/// The open sessions by connection id, shared with the acceptor closure.
private final class SessionTable: Sendable {
    private let storage = Lock<[UInt64: RPCSession]>([:])

    func insert(_ session: RPCSession) {
        storage.withLock { $0[session.connectionID] = session }
    }

    func remove(_ connectionID: UInt64) {
        storage.withLock { _ = $0.removeValue(forKey: connectionID) }
    }

    var all: [RPCSession] {
        storage.withLock { Array($0.values) }
    }
}
