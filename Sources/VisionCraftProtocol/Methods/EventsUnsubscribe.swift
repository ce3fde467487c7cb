import JSONRPC

/// `events.unsubscribe`: no more events on this connection.
public enum EventsUnsubscribe: RPCMethod {
    public static let name = "events.unsubscribe"
    public typealias Parameters = NoParameters
    public typealias Result = SubscriptionResult
}
