import Backends
import JSON
import NameMatching

/// What a ComfyUI server offers: the checkpoints CheckpointLoaderSimple
/// takes (`GET /object_info/CheckpointLoaderSimple`, `ckpt_name`) and the
/// samplers and schedulers KSampler takes (`GET /object_info/KSampler`),
/// each a combo input: `[[names...], {options}]`, or `["COMBO",
/// {"options": [names...]}]` in newer node definitions.
package struct ComfyUICatalog: Sendable, Equatable {
    package var models: [String]
    package var samplers: [String]
    package var schedulers: [String]

    package init(models: [String] = [], samplers: [String] = [], schedulers: [String] = []) {
        self.models = models
        self.samplers = samplers
        self.schedulers = schedulers
    }

    package var names: BackendCatalog {
        BackendCatalog(models: models, samplers: samplers, schedulers: schedulers)
    }

    /// `request` with its model, sampler and scheduler as the server spells
    /// them: an A1111 sampler name becomes ComfyUI's (`ComfyUISamplers`),
    /// with the scheduler it implies when none is named.
    ///
    /// - Throws: `.invalid` naming the field, with a "did you mean"; naming
    ///   `model` when none is named and `needsModel` (ComfyUI has no
    ///   default; a workflow names its own).
    func resolving(_ request: GenerationRequest, needsModel: Bool = true) throws(BackendFailure) -> GenerationRequest {
        var resolved = request
        if let model = request.model {
            resolved.model = try Self.resolve(model, in: models, kind: "model", field: "model", listedBy: "vcctl models")
        } else if needsModel {
            let listed = models.prefix(5).joined(separator: ", ")
            throw .invalid(
                "a comfyui backend needs a model named (the job's model, or jobs.model in the configuration)"
                    + (listed.isEmpty ? "" : "; it has \(listed)\(models.count > 5 ? ", ..." : "") (vcctl models)"),
                field: "model"
            )
        }
        if let sampler = request.sampler {
            if case .found(let name) = Suggestions.match(sampler, in: samplers) {
                resolved.sampler = name
            } else if let mapped = ComfyUISamplers.comfyName(sampler) {
                resolved.sampler = try Self.resolve(mapped.sampler, in: samplers, kind: "sampler", field: "sampler", listedBy: "vcctl samplers")
                if request.scheduler == nil { resolved.scheduler = mapped.scheduler }
            } else {
                resolved.sampler = try Self.resolve(sampler, in: samplers, kind: "sampler", field: "sampler", listedBy: "vcctl samplers")
            }
        }
        if let scheduler = resolved.scheduler {
            resolved.scheduler = try Self.resolve(scheduler, in: schedulers, kind: "scheduler", field: "scheduler", listedBy: "GET /object_info/KSampler")
        }
        return resolved
    }

    private static func resolve(_ typed: String, in names: [String], kind: String, field: String, listedBy: String) throws(BackendFailure) -> String {
        guard !names.isEmpty else { return typed }
        let match = Suggestions.match(typed, in: names)
        if case .found(let name) = match { return name }
        throw .invalid(match.refusal(of: typed, kind: kind, listedBy: listedBy) ?? "unknown \(kind) \(typed)", field: field)
    }

    // MARK: Reading the lists

    /// The names of combo input `input` of node class `node` in an
    /// `/object_info/<node>` answer, each scrubbed and capped.
    ///
    /// - Throws: `.protocolViolation` when the answer has no such list.
    static func combo(_ json: JSON, node: String, input: String, keys: [String]) throws(BackendFailure) -> [String] {
        let spec = json[node]?["input"]?["required"]?[input]
        let list: [JSON]?
        if let first = spec?[0]?.arrayValue {
            list = first
        } else if spec?[0]?.stringValue == "COMBO" {
            list = spec?[1]?["options"]?.arrayValue
        } else {
            list = nil
        }
        guard let list else {
            throw .protocolViolation("GET /object_info/\(node) has no \(input) list in input.required")
        }
        var names: [String] = []
        for item in list {
            guard let text = item.stringValue else {
                throw .protocolViolation("GET /object_info/\(node) listed a \(input) that is not a string: \(item.typeName)")
            }
            let name = UpstreamText.scrubbed(text, keys: keys)
            guard name.utf8.count <= UpstreamText.maximumNameBytes else {
                throw .protocolViolation("GET /object_info/\(node) listed a \(input) of \(name.utf8.count) bytes, over the \(UpstreamText.maximumNameBytes) taken")
            }
            names.append(name)
        }
        return names
    }
}
