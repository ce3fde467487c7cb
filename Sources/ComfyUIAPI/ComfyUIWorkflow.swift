import Backends
import JSON

/// A graph in ComfyUI's API format (what "Export (API)" saves, and what
/// `POST /prompt` takes as `prompt`): node id -> `{class_type, inputs}`, an
/// input linked to another node's output as `[node_id, output_index]`.
///
/// A job runs on one: the built-in graphs (`ComfyUIGraph`) or a user's own
/// file. `graph(for:seed:uploadedImage:)` writes the job's fields into the
/// nodes of the types that take them (`ComfyUINodeRoles`) and leaves every
/// other value as the workflow has it, so that a field the job leaves out
/// keeps the workflow's value.
package struct ComfyUIWorkflow: Sendable, Equatable {
    /// Where it comes from, for messages: a file's path, or the built-in
    /// graph's name.
    package let source: String
    /// The nodes, in the file's order.
    package let nodes: JSONObject

    /// The largest workflow file read: API-format graphs are a few
    /// kilobytes; a UI-format export with its embedded notes is larger,
    /// and refused anyway.
    package static let maximumBytes = 4 << 20

    /// Reads and checks a workflow file's bytes.
    ///
    /// - Throws: `ComfyUIWorkflowProblem` saying what is wrong (with the
    ///   line and column of a JSON error, or the node), naming `source`.
    package init(parsing bytes: [UInt8], source: String) throws(ComfyUIWorkflowProblem) {
        let json: JSON
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            let (line, column) = Self.position(of: error.offset, in: bytes)
            throw ComfyUIWorkflowProblem(source: source, "is not JSON: \(error.reason) at line \(line), column \(column)")
        }
        try self.init(json, source: source)
    }

    /// Checks a graph: API format, one SaveImage node, at least one sampler
    /// whose positive input leads to a text encoder.
    ///
    /// - Throws: `ComfyUIWorkflowProblem` naming the node that is wrong.
    package init(_ json: JSON, source: String) throws(ComfyUIWorkflowProblem) {
        guard let nodes = json.objectValue else {
            throw ComfyUIWorkflowProblem(source: source, "expected a JSON object of nodes (ComfyUI's API format), got a JSON \(json.typeName)")
        }
        if nodes["nodes"]?.arrayValue != nil, nodes["links"] != nil {
            throw ComfyUIWorkflowProblem(
                source: source, "is in ComfyUI's UI format (it has \"nodes\" and \"links\"); save it in API format (Workflow > Export (API)) and name that file"
            )
        }
        guard !nodes.isEmpty else { throw ComfyUIWorkflowProblem(source: source, "has no nodes") }
        for (id, node) in nodes {
            guard node["class_type"]?.stringValue?.isEmpty == false, node["inputs"]?.objectValue != nil else {
                throw ComfyUIWorkflowProblem(
                    source: source, "node \"\(id)\" is not {\"class_type\": ..., \"inputs\": {...}} (is the file in ComfyUI's API format?)"
                )
            }
        }
        self.source = source
        self.nodes = nodes
        let saves = ids(where: { $0 == ComfyUINodeRoles.saveImage })
        guard saves.count == 1 else {
            throw problem(
                saves.isEmpty
                    ? "has no \(ComfyUINodeRoles.saveImage) node: the images a job gets are the ones SaveImage writes"
                    : "has \(saves.count) \(ComfyUINodeRoles.saveImage) nodes (\(saves.joined(separator: ", "))): keep one (a PreviewImage shows without saving)"
            )
        }
        let samplers = samplerIDs
        guard !samplers.isEmpty else {
            throw problem("has no sampler node (\(ComfyUINodeRoles.samplerSeedInputs.keys.sorted().joined(separator: " or "))) to write the seed and steps into")
        }
        for sampler in samplers where encoders(from: sampler, side: ComfyUINodeRoles.positive).isEmpty {
            throw problem("\(describe(sampler))'s positive input leads to no text encoder (\(ComfyUINodeRoles.textInputs.keys.sorted().joined(separator: ", "))) to write the prompt into")
        }
    }

    /// The graph to send for `request`: its prompt, negative prompt, model,
    /// sampler, scheduler, steps, cfg, size and count written into the
    /// nodes that take them, `seed` into every sampler, and for image to
    /// image `uploadedImage` (the name `/upload/image` answered) into the
    /// LoadImage node the init image goes through.
    ///
    /// - Throws: `ComfyUIWorkflowProblem` when the workflow lacks a node the
    ///   job needs (a latent for text to image, a LoadImage for an init
    ///   image, a checkpoint loader for a named model).
    package func graph(for request: GenerationRequest, seed: Int, uploadedImage: String?) throws(ComfyUIWorkflowProblem) -> JSON {
        var graph = nodes
        func set(_ id: String, _ input: String, _ value: JSON) {
            guard var node = graph[id]?.objectValue, var inputs = node["inputs"]?.objectValue else { return }
            inputs[input] = value
            node["inputs"] = .object(inputs)
            graph[id] = .object(node)
        }
        func number(_ value: Int) -> JSON { .number(JSONNumber(value)) }
        let samplers = samplerIDs
        for id in samplers {
            guard let classType = classType(id), let seedInput = ComfyUINodeRoles.samplerSeedInputs[classType] else { continue }
            set(id, seedInput, number(seed))
            if let steps = request.steps { set(id, "steps", number(steps)) }
            if let guidance = request.guidance, let cfg = JSONNumber(guidance) { set(id, "cfg", .number(cfg)) }
            if let sampler = request.sampler { set(id, "sampler_name", .string(sampler)) }
            if let scheduler = request.scheduler { set(id, "scheduler", .string(scheduler)) }
        }
        for id in Set(samplers.flatMap { encoders(from: $0, side: ComfyUINodeRoles.positive) }).sorted() {
            for input in ComfyUINodeRoles.textInputs[classType(id) ?? ""] ?? [] { set(id, input, .string(request.prompt)) }
        }
        if !request.negativePrompt.isEmpty {
            let negative = Set(samplers.flatMap { encoders(from: $0, side: ComfyUINodeRoles.negative) }).sorted()
            guard !negative.isEmpty else {
                throw problem("no sampler's negative input leads to a text encoder to write the negative prompt into (leave the negative prompt out)")
            }
            for id in negative {
                for input in ComfyUINodeRoles.textInputs[classType(id) ?? ""] ?? [] { set(id, input, .string(request.negativePrompt)) }
            }
        }
        if let model = request.model {
            let loaders = nodes.keys.filter { nodes[$0]?["inputs"]?[ComfyUINodeRoles.checkpointInput]?.stringValue != nil }
            guard !loaders.isEmpty else {
                throw problem("has no checkpoint loader (a node with a \(ComfyUINodeRoles.checkpointInput) input, such as CheckpointLoaderSimple) to load the model \(model) into")
            }
            for id in loaders { set(id, ComfyUINodeRoles.checkpointInput, .string(model)) }
        }
        let latents = ids(where: ComfyUINodeRoles.isEmptyLatent)
        if let uploadedImage {
            let target = try initImageNode()
            set(target, "image", .string(uploadedImage))
            let repeats = ids(where: { $0 == ComfyUINodeRoles.repeatLatentBatch })
            if !repeats.isEmpty {
                for id in repeats { set(id, "amount", number(request.count)) }
            } else if request.count > 1 {
                let encoders = ids(where: ComfyUINodeRoles.isImageEncoder)
                if !encoders.isEmpty {
                    // Image to image encodes one latent: the batch is that latent repeated.
                    graph = repeating(encoders, in: graph, amount: request.count)
                } else if !latents.isEmpty {
                    for id in latents { set(id, "batch_size", number(request.count)) }
                } else {
                    throw problem("makes one image a request from an init image (it has no VAEEncode to repeat and no latent to batch); ask for one image")
                }
            }
        } else {
            guard !latents.isEmpty else {
                throw problem("has no empty latent node (EmptyLatentImage) for a text-to-image job; give an init image, or add one")
            }
            for id in latents {
                if let width = request.width { set(id, "width", number(width)) }
                if let height = request.height { set(id, "height", number(height)) }
                set(id, "batch_size", number(request.count))
            }
        }
        return .object(graph)
    }

    /// The seed of the first sampler of `graph` (a prompt as `/history`
    /// gives it back), which every sampler was given.
    package static func seed(in graph: JSON?) -> Int? {
        guard let nodes = graph?.objectValue else { return nil }
        for (_, node) in nodes {
            guard let classType = node["class_type"]?.stringValue, let input = ComfyUINodeRoles.samplerSeedInputs[classType] else { continue }
            return node["inputs"]?[input]?.numberValue?.int64.flatMap { Int(exactly: $0) }
        }
        return nil
    }

    // MARK: Finding nodes

    private func classType(_ id: String) -> String? { nodes[id]?["class_type"]?.stringValue }

    private func ids(where matches: (String) -> Bool) -> [String] {
        nodes.keys.filter { classType($0).map(matches) ?? false }
    }

    private var samplerIDs: [String] { ids(where: { ComfyUINodeRoles.samplerSeedInputs[$0] != nil }) }

    /// `node "3" (KSampler)`.
    private func describe(_ id: String) -> String { "node \"\(id)\" (\(classType(id) ?? "?"))" }

    private func problem(_ message: String) -> ComfyUIWorkflowProblem { ComfyUIWorkflowProblem(source: source, message) }

    /// The node id and output index an input links to.
    private static func link(_ value: JSON?) -> (node: String, output: Int)? {
        guard let items = value?.arrayValue, items.count == 2, let output = items[1].intValue else { return nil }
        if let id = items[0].stringValue { return (id, output) }
        if let id = items[0].intValue { return (String(id), output) }
        return nil
    }

    /// The text encoders `side` ("positive" or "negative") of `sampler`
    /// leads to, through the nodes that pass conditioning on (a ControlNet,
    /// a combine): inputs named `conditioning...` always, and `positive`
    /// or `negative` by which of the node's outputs is followed (0 and 1,
    /// as ControlNetApplyAdvanced has them).
    private func encoders(from sampler: String, side: String) -> [String] {
        var found: [String] = []
        var seen: Set<String> = []
        var pending: [(node: String, output: Int)] = Self.link(nodes[sampler]?["inputs"]?[side]).map { [$0] } ?? []
        while let (id, output) = pending.popLast() {
            guard seen.insert("\(id):\(output)").inserted, let node = nodes[id], let classType = node["class_type"]?.stringValue else { continue }
            if ComfyUINodeRoles.textInputs[classType] != nil {
                found.append(id)
                continue
            }
            for (name, value) in node["inputs"]?.objectValue ?? [:] {
                guard let next = Self.link(value) else { continue }
                let follows = name.hasPrefix("conditioning")
                    || (name == ComfyUINodeRoles.positive && output == 0) || (name == ComfyUINodeRoles.negative && output == 1)
                if follows { pending.append(next) }
            }
        }
        return found
    }

    /// The LoadImage node an init image goes into: the one whose picture
    /// reaches a VAEEncode (through scaling and other image nodes), else
    /// the only one.
    private func initImageNode() throws(ComfyUIWorkflowProblem) -> String {
        let loaders = ids(where: { $0 == ComfyUINodeRoles.loadImage })
        guard !loaders.isEmpty else { throw problem("has no LoadImage node for the init image; leave the init image out, or add one") }
        var reached: [String] = []
        var seen: Set<String> = []
        var pending = ids(where: ComfyUINodeRoles.isImageEncoder).compactMap { Self.link(nodes[$0]?["inputs"]?["pixels"])?.node }
        while let id = pending.popLast() {
            guard seen.insert(id).inserted, let classType = classType(id) else { continue }
            if classType == ComfyUINodeRoles.loadImage {
                reached.append(id)
                continue
            }
            for name in ["image", "images", "pixels"] {
                if let next = Self.link(nodes[id]?["inputs"]?[name]) { pending.append(next.node) }
            }
        }
        if reached.count == 1 { return reached[0] }
        if reached.isEmpty, loaders.count == 1 { return loaders[0] }
        let candidates = (reached.isEmpty ? loaders : reached).sorted()
        throw problem("has \(candidates.count) LoadImage nodes (\(candidates.joined(separator: ", "))) the init image could go into; keep one that feeds a VAEEncode")
    }

    /// `graph` with a RepeatLatentBatch of `amount` after each of
    /// `encoders`, every link to an encoder's latent moved to it.
    private func repeating(_ encoders: [String], in graph: JSONObject, amount: Int) -> JSONObject {
        var graph = graph
        var nextID = (graph.keys.compactMap { Int($0) }.max() ?? 0) + 1
        for encoder in encoders {
            while graph[String(nextID)] != nil { nextID += 1 }
            let repeater = String(nextID)
            for id in graph.keys {
                guard var node = graph[id]?.objectValue, var inputs = node["inputs"]?.objectValue else { continue }
                for (name, value) in inputs {
                    if let link = Self.link(value), link.node == encoder, link.output == 0 { inputs[name] = [.string(repeater), 0] }
                }
                node["inputs"] = .object(inputs)
                graph[id] = .object(node)
            }
            graph[repeater] = [
                "class_type": .string(ComfyUINodeRoles.repeatLatentBatch),
                "inputs": ["samples": [.string(encoder), 0], "amount": .number(JSONNumber(amount))],
            ]
        }
        return graph
    }

    /// The 1-based line and column of byte `offset` of `bytes`.
    private static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }
}
