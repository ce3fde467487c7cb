import Backends
import HTTPClient
import JSON

/// Turns ComfyUI's answers into `BackendFailure`s. `POST /prompt` refuses
/// a graph with 400 `{"error": {type, message, details, extra_info},
/// "node_errors": {node_id: {errors: [{type, message, details,
/// extra_info: {input_name, ...}}], dependent_outputs, class_type}}}`
/// (`execution.validate_prompt`); aiohttp answers 5xx for what failed in it.
enum ComfyUIFailures {
    /// A non-2xx answer, classified, every text scrubbed of `keys` and capped.
    static func classify(status: Int, body: [UInt8], keys: [String]) -> BackendFailure {
        let json = try? JSONParser.parse(body)
        switch status {
        case 400 where json?["node_errors"]?.objectValue?.isEmpty == false:
            return nodeErrors(json?["node_errors"] ?? nil, keys: keys)
        case 400..<500 where status != 408 && status != 429:
            let error = json?["error"]
            let message = error?["message"]?.stringValue ?? error?.stringValue ?? excerpt(body)
            let details = error?["details"]?.stringValue ?? ""
            return .invalid(UpstreamText.message("HTTP \(status): \(message)" + (details.isEmpty ? "" : " (\(details))"), keys: keys), field: nil)
        case 408, 429, 500..<600:
            return .transient(UpstreamText.message("HTTP \(status): \(excerpt(body))", keys: keys), retryAfter: nil)
        default:
            return .protocolViolation(UpstreamText.message("HTTP \(status): \(excerpt(body))", keys: keys))
        }
    }

    /// The first node error: `.invalid` naming the job field its input sets
    /// (`ComfyUINodeRoles.jobField`), else `.permanent` naming the node and the
    /// input (a graph of ours ComfyUI will not run: retrying cannot help).
    static func nodeErrors(_ json: JSON?, keys: [String]) -> BackendFailure {
        guard let nodes = json?.objectValue, let id = nodes.keys.first, let node = nodes[id] else {
            return .protocolViolation("POST /prompt refused the graph with no node_errors")
        }
        let classType = node["class_type"]?.stringValue ?? "?"
        let error = node["errors"]?[0]
        let input = error?["extra_info"]?["input_name"]?.stringValue
        let message = error?["message"]?.stringValue ?? "refused"
        let details = error?["details"]?.stringValue ?? ""
        let text = UpstreamText.message(
            "node \(id) (\(classType))\(input.map { " input \($0)" } ?? ""): \(message)" + (details.isEmpty ? "" : ": \(details)"), keys: keys
        )
        if let field = input.flatMap(ComfyUINodeRoles.jobField) { return .invalid(text, field: field) }
        return .permanent("ComfyUI refused the graph: \(text)")
    }

    /// A transfer that failed before an answer came.
    static func transport(_ error: HTTPClientError, keys: [String]) -> BackendFailure {
        let message = UpstreamText.message(error.message, keys: keys)
        switch error.kind {
        case .invalidURL: return .invalid("the comfyui backend's URL is wrong: \(message)", field: nil)
        case .responseTooLarge: return .protocolViolation(message)
        default: return .transient(message, retryAfter: nil)
        }
    }

    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self)
        // An HTML error page (aiohttp's, a proxy's) says nothing worth keeping.
        return text.contains("<") ? "" : UpstreamText.capped(text, limit: UpstreamText.maximumExcerptBytes)
    }
}
