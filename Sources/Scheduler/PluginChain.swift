import Jobs
import JSON
import PluginHost

/// A job's plugin chain, resolved against the loaded plugins: the prompt
/// hooks run at submit time (the stored job holds their result), the image
/// hooks on every image between download and save (decoded once, encoded
/// once), the file hooks on every saved file.
struct PluginChain: Sendable {
    let steps: [(plugin: LoadedPlugin, step: PluginStep)]
    let timeout: Duration

    /// Resolves `steps` against the loaded plugins; a name that is not
    /// loaded, a plugin marked hung, or options the plugin does not take
    /// (see `LoadedPlugin.checked`) are a problem with the `plugins` parameter.
    static func resolve(_ requested: [PluginStep], registry: PluginRegistry?, timeout: Duration) throws(ParameterProblem) -> PluginChain {
        var steps: [(LoadedPlugin, PluginStep)] = []
        for step in requested {
            let plugin: LoadedPlugin
            switch registry?.lookup(step.name) ?? .missing {
            case .loaded(let loaded):
                plugin = loaded
            case .disabled(let reason):
                throw ParameterProblem(field: "plugins", message: "plugin \(step.name) is disabled: \(reason) (vcctl plugins --enable \(step.name))")
            case .missing:
                let loaded = registry?.all.compactMap(\.plugin?.name) ?? []
                throw ParameterProblem(
                    field: "plugins",
                    message: "no plugin named \(step.name) is loaded (\(loaded.isEmpty ? "none are" : "loaded: " + loaded.joined(separator: ", ")); vcctl plugins lists them)"
                )
            }
            if let hung = plugin.hung {
                throw ParameterProblem(field: "plugins", message: "plugin \(step.name) is marked hung (\(hung)); restart the daemon to use it again")
            }
            do {
                steps.append((plugin, try plugin.checked(step)))
            } catch {
                throw ParameterProblem(field: "plugins", message: error.description)
            }
        }
        return PluginChain(steps: steps, timeout: timeout)
    }

    var hasImageHooks: Bool { steps.contains { $0.plugin.hooks.contains(.image) } }

    /// The steps with a file hook, in order: what every saved image owes
    /// before its job succeeds.
    var fileHookSteps: [(plugin: LoadedPlugin, step: PluginStep)] { steps.filter { $0.plugin.hooks.contains(.file) } }

    /// The most jobs one submission may become.
    static let maximumExpansion = 100

    /// Runs the prompt hooks in order on `parameters`. A hook may expand a
    /// request into several (`{"requests": [...]}`): each later hook then
    /// runs on each of them, and the submission becomes one job per request.
    func rewritePrompt(_ parameters: JobRequest, seed: UInt64) async throws(ParameterProblem) -> [JobRequest] {
        var current = [parameters]
        for (plugin, step) in steps where plugin.hooks.contains(.prompt) {
            var next: [JobRequest] = []
            for (index, each) in current.enumerated() {
                next += try await run(plugin, step, on: each, seed: seed &+ UInt64(index))
                guard next.count <= Self.maximumExpansion else {
                    throw ParameterProblem(field: "plugins", message: "plugin \(plugin.name) made more than \(Self.maximumExpansion) requests of one submission")
                }
            }
            current = next
        }
        return current
    }

    private func run(_ plugin: LoadedPlugin, _ step: PluginStep, on parameters: JobRequest, seed: UInt64) async throws(ParameterProblem) -> [JobRequest] {
        var request: JSONObject = [
            "prompt": .string(parameters.prompt), "negative_prompt": .string(parameters.negativePrompt),
            "image_count": .number(JSONNumber(parameters.imageCount)), "seed": .number(JSONNumber(seed)), "options": step.options,
        ]
        if let model = parameters.model { request["model"] = .string(model) }
        if let sampler = parameters.sampler { request["sampler"] = .string(sampler) }
        if let cfg = parameters.cfgScale { request["cfg_scale"] = .number(JSONNumber(cfg) ?? JSONNumber(0)) }
        if let steps = parameters.steps { request["steps"] = .number(JSONNumber(steps)) }
        let response: String
        do {
            response = try await plugin.prompt(JSONSerializer.serializeToString(.object(request)), timeout: timeout)
        } catch {
            throw ParameterProblem(field: "plugins", message: error.description)
        }
        guard let json = try? JSONParser.parse(response), case .object(let object) = json else {
            throw ParameterProblem(field: "plugins", message: "plugin \(plugin.name): its prompt hook answered something that is not a JSON object")
        }
        guard let requests = object["requests"] else { return [try apply(object, to: parameters, plugin: plugin)] }
        guard case .array(let list) = requests, !list.isEmpty else {
            throw ParameterProblem(field: "plugins", message: "plugin \(plugin.name): \"requests\" must be a non-empty list of requests")
        }
        var expanded: [JobRequest] = []
        for entry in list {
            guard case .object(let each) = entry else {
                throw ParameterProblem(field: "plugins", message: "plugin \(plugin.name): each of \"requests\" must be an object")
            }
            expanded.append(try apply(each, to: parameters, plugin: plugin))
        }
        return expanded
    }

    /// What a prompt hook may change: the prompts.
    private func apply(_ object: JSONObject, to parameters: JobRequest, plugin: LoadedPlugin) throws(ParameterProblem) -> JobRequest {
        var result = parameters
        if let prompt = object["prompt"]?.stringValue {
            guard !prompt.isEmpty else { throw ParameterProblem(field: "plugins", message: "plugin \(plugin.name) made the prompt empty") }
            result.prompt = prompt
        }
        if let negative = object["negative_prompt"]?.stringValue { result.negativePrompt = negative }
        return result
    }

    /// The parameters a hook sees: the job's, and its step's options.
    func hookParameters(_ parameters: JobRequest, step: PluginStep, jobID: String, index: Int) -> String {
        var object = parameters.json.objectValue ?? [:]
        object["options"] = step.options
        object["job_id"] = .string(jobID)
        object["image_index"] = .number(JSONNumber(index))
        return JSONSerializer.serializeToString(.object(object))
    }
}
