import JSON
import JSONRPC

/// The result of `events.subscribe` and `events.unsubscribe`.
package struct SubscriptionResult: RPCResult, Equatable {
    /// Whether the connection receives events now.
    package var subscribed: Bool

    package init(subscribed: Bool) {
        self.subscribed = subscribed
    }

    package init(result: JSON) throws(FieldError) {
        var reader = try FieldReader(result, path: "result")
        subscribed = try reader.required("subscribed", try reader.boolean("subscribed"))
    }

    package var result: JSON { ["subscribed": .bool(subscribed)] }
}
