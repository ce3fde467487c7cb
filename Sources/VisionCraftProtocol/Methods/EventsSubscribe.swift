import JSONRPC

/// `events.subscribe`: this connection receives a `job.updated` notification
/// for every change of every job, until it unsubscribes or closes. A client
/// that reads too slowly misses events and then gets `events.dropped`.
package enum EventsSubscribe: RPCMethod {
    package static let name = "events.subscribe"
    package typealias Parameters = NoParameters
    package typealias Result = SubscriptionResult
}
