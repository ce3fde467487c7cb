import Posix

/// What a handler knows about the request beyond its parameters.
public struct RPCRequestContext: Sendable {
    /// The connection's number, for logs.
    public let connectionID: UInt64
    /// Who sent the request.
    public let peer: PeerCredentials?
    /// True when no reply will be sent (a notification).
    public let isNotification: Bool
    /// The connection the request came on, to push notifications to it later
    /// (subscriptions); nil when the request did not come over a connection.
    public let session: RPCSession?

    public init(connectionID: UInt64, peer: PeerCredentials?, isNotification: Bool, session: RPCSession?) {
        self.connectionID = connectionID
        self.peer = peer
        self.isNotification = isNotification
        self.session = session
    }
}
