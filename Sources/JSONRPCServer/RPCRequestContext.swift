import Posix

/// What a handler knows about the request beyond its parameters.
package struct RPCRequestContext: Sendable {
    /// The connection's number, for logs.
    package let connectionID: UInt64
    /// Who sent the request.
    package let peer: PeerCredentials?
    /// True when no reply will be sent (a notification).
    package let isNotification: Bool
    /// The connection the request came on, to push notifications to it later
    /// (subscriptions); nil when the request did not come over a connection.
    package let session: RPCSession?

    package init(connectionID: UInt64, peer: PeerCredentials?, isNotification: Bool, session: RPCSession?) {
        self.connectionID = connectionID
        self.peer = peer
        self.isNotification = isNotification
        self.session = session
    }
}
