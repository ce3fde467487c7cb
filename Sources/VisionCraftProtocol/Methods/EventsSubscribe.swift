import JSONRPC

/// `events.subscribe`: this connection receives a `job.updated` notification
/// for every change of every job, until it unsubscribes or closes. A client
/// that reads too slowly misses events and then gets `events.dropped`.
public enum EventsSubscribe: RPCMethod {
    public static let name = "events.subscribe"
    public typealias Parameters = NoParameters
    public typealias Result = SubscriptionResult
}
