import JSON
import JSONRPC

/// The result of `events.subscribe` and `events.unsubscribe`.
public struct SubscriptionResult: RPCResult, Equatable {
    /// Whether the connection receives events now.
    public var subscribed: Bool

    public init(subscribed: Bool) {
        self.subscribed = subscribed
    }

    public init(result: JSON) throws(FieldError) {
        var reader = try FieldReader(result, path: "result")
        subscribed = try reader.required("subscribed", try reader.boolean("subscribed"))
    }

    public var result: JSON { ["subscribed": .bool(subscribed)] }
}
