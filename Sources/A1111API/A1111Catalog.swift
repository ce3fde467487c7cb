import Backends
import JSON

/// What an AUTOMATIC1111 server offers: its checkpoints
/// (`GET /sdapi/v1/sd-models`), samplers (`/samplers`) and noise schedules
/// (`/schedulers`, none on versions before 1.9), each with the other names
/// it takes.
package struct A1111Catalog: Sendable, Equatable {
    /// By `title` ("v1-5-pruned.safetensors [6ce0161689]", what
    /// `sd_model_checkpoint` is set to), `model_name` the alternate.
    package var models: [CatalogEntry]
    /// By `name`, `aliases` the alternates (the server takes the name only).
    package var samplers: [CatalogEntry]
    /// By `name`, `label` and `aliases` the alternates.
    package var schedulers: [CatalogEntry]

    package init(models: [CatalogEntry] = [], samplers: [CatalogEntry] = [], schedulers: [CatalogEntry] = []) {
        self.models = models
        self.samplers = samplers
        self.schedulers = schedulers
    }

    /// The names, as the seam lists them.
    package var names: BackendCatalog {
        BackendCatalog(models: models.map(\.name), samplers: samplers.map(\.name), schedulers: schedulers.map(\.name))
    }

    /// What the commands that list the names are, for refusals.
    static let listedBy = (model: "vcctl models", sampler: "vcctl samplers", scheduler: "GET /sdapi/v1/schedulers")

    /// `request` with its model, sampler and scheduler as the server names
    /// them; a name not given, or a list the server left empty, is left as
    /// it is.
    ///
    /// - Throws: `.invalid` naming the field, with a "did you mean".
    func resolving(_ request: GenerationRequest) throws(BackendFailure) -> GenerationRequest {
        var resolved = request
        resolved.model = try Self.resolve(request.model, in: models, kind: "model", field: "model", listedBy: Self.listedBy.model)
        resolved.sampler = try Self.resolve(request.sampler, in: samplers, kind: "sampler", field: "sampler", listedBy: Self.listedBy.sampler)
        resolved.scheduler = try Self.resolve(
            request.scheduler, in: schedulers, kind: "scheduler", field: "scheduler", listedBy: Self.listedBy.scheduler
        )
        return resolved
    }

    private static func resolve(
        _ typed: String?, in entries: [CatalogEntry], kind: String, field: String, listedBy: String
    ) throws(BackendFailure) -> String? {
        guard let typed, !entries.isEmpty else { return typed }
        let match = CatalogEntry.match(typed, in: entries)
        if case .found(let name) = match { return name }
        throw .invalid(match.refusal(of: typed, kind: kind, listedBy: listedBy) ?? "", field: field)
    }

    // MARK: Reading the lists

    /// `/sd-models`: `[{title, model_name, hash, sha256, filename, config}]`.
    static func models(_ json: JSON, keys: [String]) throws(BackendFailure) -> [CatalogEntry] {
        try entries(json, path: "sd-models", name: "title", alternates: ["model_name"], keys: keys)
    }

    /// `/samplers`: `[{name, aliases, options}]`.
    static func samplers(_ json: JSON, keys: [String]) throws(BackendFailure) -> [CatalogEntry] {
        try entries(json, path: "samplers", name: "name", alternates: ["aliases"], keys: keys)
    }

    /// `/schedulers`: `[{name, label, aliases, default_rho, need_inner_model}]`.
    static func schedulers(_ json: JSON, keys: [String]) throws(BackendFailure) -> [CatalogEntry] {
        try entries(json, path: "schedulers", name: "name", alternates: ["label", "aliases"], keys: keys)
    }

    /// A list of objects, each with a string `name` field and `alternates`
    /// fields that hold a string, a list of strings or null; every name
    /// scrubbed of the keys and no longer than `UpstreamText.maximumNameBytes`.
    private static func entries(
        _ json: JSON, path: String, name nameField: String, alternates alternateFields: [String], keys: [String]
    ) throws(BackendFailure) -> [CatalogEntry] {
        guard let items = json.arrayValue else { throw .protocolViolation("GET /sdapi/v1/\(path) did not answer a JSON list") }
        var entries: [CatalogEntry] = []
        for item in items {
            guard let value = item[nameField]?.stringValue else {
                throw .protocolViolation(
                    "GET /sdapi/v1/\(path) listed an entry without a \"\(nameField)\" string: " + UpstreamText.message(item.description, keys: keys, limit: UpstreamText.maximumExcerptBytes)
                )
            }
            var others: [String] = []
            for field in alternateFields {
                switch item[field] {
                case .string(let text)?: others.append(text)
                case .array(let list)?: others += list.compactMap(\.stringValue)
                default: break
                }
            }
            let names = try ([value] + others).map { text throws(BackendFailure) in try checkedName(text, path: path, keys: keys) }
            entries.append(CatalogEntry(names[0], alternates: names.dropFirst().filter { !$0.isEmpty && $0 != names[0] }))
        }
        return entries
    }

    private static func checkedName(_ text: String, path: String, keys: [String]) throws(BackendFailure) -> String {
        let scrubbed = UpstreamText.scrubbed(text, keys: keys)
        guard scrubbed.utf8.count <= UpstreamText.maximumNameBytes else {
            throw .protocolViolation(
                "GET /sdapi/v1/\(path) listed a name of \(scrubbed.utf8.count) bytes, over the \(UpstreamText.maximumNameBytes) taken: "
                    + UpstreamText.message(scrubbed, keys: [], limit: UpstreamText.maximumExcerptBytes)
            )
        }
        return scrubbed
    }
}
