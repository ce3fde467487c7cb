import Backends
import JSON

/// A prompt as `GET /history/{prompt_id}` tells it: `{prompt_id: {prompt:
/// [number, prompt_id, graph, extra_data, outputs_to_execute], outputs:
/// {node_id: {images: [{filename, subfolder, type}]}}, status: {status_str,
/// completed, messages: [[event, data]]}}}`, `{}` while it is queued or
/// running (or when ComfyUI never had it, or lost it in a restart).
package enum ComfyUIHistory: Sendable, Equatable {
    /// One image a SaveImage node wrote, as `/view` takes it.
    package struct Output: Sendable, Equatable {
        package var filename: String
        package var subfolder: String
        package var type: String
    }

    /// Not in the history (yet).
    case absent
    /// Done: the images, in node then batch order, the seed the graph's
    /// samplers were given, and how long ComfyUI says it executed the
    /// prompt (`executionTime`).
    case done([Output], seed: Int?, took: Duration?)
    /// Execution failed: the node and ComfyUI's exception message.
    case failed(String)

    /// - Throws: `.protocolViolation` when the answer is not the documented shape.
    static func read(_ body: [UInt8], id: String) throws(BackendFailure) -> ComfyUIHistory {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            throw .protocolViolation("GET /history/\(id) did not answer a JSON object")
        }
        guard let entry = json[id] else { return .absent }
        let status = entry["status"]
        if status?["status_str"]?.stringValue == "error" {
            let messages = status?["messages"]?.arrayValue ?? []
            let error = messages.first { $0[0]?.stringValue == "execution_error" }?[1]
            let node = error?["node_id"]?.stringValue ?? "?"
            let type = error?["node_type"]?.stringValue ?? "?"
            let message = error?["exception_message"]?.stringValue ?? "execution failed"
            return .failed("node \(node) (\(type)): \(message.hasSuffix("\n") ? String(message.dropLast()) : message)")
        }
        guard let outputs = entry["outputs"]?.objectValue else {
            throw .protocolViolation("GET /history/\(id) has no \"outputs\" object")
        }
        // A prompt in the history whose status says not completed is still
        // being written there (older ComfyUI has no status at all).
        if status?["completed"]?.boolValue == false { return .absent }
        var images: [Output] = []
        for (_, node) in outputs {
            for item in node["images"]?.arrayValue ?? [] {
                guard let filename = item["filename"]?.stringValue else {
                    throw .protocolViolation("GET /history/\(id) lists an image without a filename")
                }
                let kind = item["type"]?.stringValue ?? "output"
                // Previews (`temp`) are not the saved images.
                guard kind == "output" else { continue }
                images.append(Output(filename: filename, subfolder: item["subfolder"]?.stringValue ?? "", type: kind))
            }
        }
        guard !images.isEmpty else { throw .protocolViolation("GET /history/\(id) says the prompt is done but lists no saved image") }
        return .done(images, seed: ComfyUIWorkflow.seed(in: entry["prompt"]?[2]), took: executionTime(status?["messages"]?.arrayValue ?? []))
    }

    /// The time from the `execution_start` to the `execution_success` of
    /// a prompt's status messages (`[[event, {prompt_id, timestamp}]]`;
    /// execution.py's `add_message` stamps each with `time.time()` in
    /// milliseconds); nil when either is missing or unstamped (older
    /// ComfyUI stamps none), or the clock ran backwards.
    static func executionTime(_ messages: [JSON]) -> Duration? {
        func stamp(_ event: String) -> Int64? {
            messages.last { $0[0]?.stringValue == event }?[1]?["timestamp"]?.int64Value
        }
        guard let start = stamp("execution_start"), let end = stamp("execution_success"), end >= start else { return nil }
        return .milliseconds(end - start)
    }

    /// Whether `GET /queue` (`{queue_running, queue_pending}`, each a list
    /// of `[number, prompt_id, graph, extra_data, outputs]`) holds `id`.
    ///
    /// - Throws: `.protocolViolation` when the answer is not the documented shape.
    static func queued(_ body: [UInt8], id: String) throws(BackendFailure) -> Bool {
        guard let json = try? JSONParser.parse(body), let running = json["queue_running"]?.arrayValue,
            let pending = json["queue_pending"]?.arrayValue
        else { throw .protocolViolation("GET /queue did not answer {queue_running, queue_pending}") }
        return (running + pending).contains { $0[1]?.stringValue == id }
    }
}
