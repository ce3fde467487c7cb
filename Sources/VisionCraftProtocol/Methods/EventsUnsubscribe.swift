import JSONRPC

/// `events.unsubscribe`: no more events on this connection.
package enum EventsUnsubscribe: RPCMethod {
    package static let name = "events.unsubscribe"
    package typealias Parameters = NoParameters
    package typealias Result = SubscriptionResult
}
