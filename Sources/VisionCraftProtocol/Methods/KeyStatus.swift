import JSON
import JSONRPC

/// `key.status`: whether a key is set, where from, and whether the upstream
/// rejected it.
package enum KeyStatus: RPCMethod {
    package static let name = "key.status"
    package typealias Parameters = KeyBackendParameters

    package struct Result: RPCResult, Equatable {
        /// missing, set or rejected.
        package var state: String
        /// file, environment or credential; absent when missing.
        package var source: String?
        /// The key's last 4 characters behind "...", or nothing for short keys.
        package var masked: String?
        /// Why the upstream rejected it (rejected only).
        package var reason: String?

        package init(state: String, source: String?, masked: String?, reason: String?) {
            self.state = state
            self.source = source
            self.masked = masked
            self.reason = reason
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            state = try reader.required("state", try reader.string("state"))
            source = try reader.string("source")
            masked = try reader.string("masked")
            reason = try reader.string("reason")
        }

        package var result: JSON {
            var object: JSONObject = ["state": .string(state)]
            if let source { object["source"] = .string(source) }
            if let masked { object["masked"] = .string(masked) }
            if let reason { object["reason"] = .string(reason) }
            return .object(object)
        }
    }
}
