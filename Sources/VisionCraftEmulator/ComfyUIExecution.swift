import JSON

/// One prompt's run as ComfyUI's websocket tells it (execution.py,
/// main.py `hijack_progress` and `prompt_worker`, comfy_execution/
/// progress.py), paced by `--step-time` per KSampler step:
///
/// - `execution_start`, `execution_cached` (timestamped, to the prompt's client);
/// - per node, in execution order (each output's inputs first, in the
///   order they are listed): `executing {node, display_node, prompt_id}`,
///   `progress_state` (to every socket) as it starts, at each sampler step
///   with `progress {value, max, prompt_id, node}` after it, and as it ends;
/// - then (`finish`) `executed` for each output, `execution_success` (or
///   `execution_interrupted`), and, once the history is written,
///   `executing {node: null, prompt_id}`.
///
/// With no client id, what ComfyUI sends only to a client is not sent,
/// and what it sends to "the client" goes to every socket.
struct ComfyUIExecution {
    let sockets: ComfyUISockets
    let id: String
    let prompt: JSONObject
    let outputs: [String]
    let client: String?
    let stepDuration: Duration

    /// node id -> (value, max, state), for `progress_state`, in the order started.
    private var nodes: [(id: String, value: Int, max: Int, state: String)] = []

    init(sockets: ComfyUISockets, id: String, prompt: JSONObject, outputs: [String], client: String?, stepDuration: Duration) {
        self.sockets = sockets
        self.id = id
        self.prompt = prompt
        self.outputs = outputs
        self.client = client
        self.stepDuration = stepDuration
    }

    /// The nodes the outputs need, dependencies first, each once.
    var order: [String] {
        var order: [String] = []
        var seen: Set<String> = []
        func visit(_ node: String, depth: Int) {
            guard depth < 64, !seen.contains(node), let inputs = prompt[node]?["inputs"]?.objectValue else { return }
            seen.insert(node)
            for (name, _) in inputs {
                if let linked = ComfyUIRender.linked(prompt, node, name) { visit(linked, depth: depth + 1) }
            }
            order.append(node)
        }
        for output in outputs { visit(output, depth: 0) }
        return order
    }

    /// Runs the nodes; false when interrupted (`isInterrupted` is asked after each step).
    mutating func run(isInterrupted: () -> Bool, onNode: (String?) -> Void) async -> Bool {
        toClient("execution_start", ["prompt_id": .string(id), "timestamp": .number(JSONNumber(ComfyUIService.milliseconds()))], onlyToClient: true)
        toClient("execution_cached", ["nodes": [], "prompt_id": .string(id), "timestamp": .number(JSONNumber(ComfyUIService.milliseconds()))], onlyToClient: true)
        for node in order {
            onNode(node)
            toClient("executing", ["node": .string(node), "display_node": .string(node), "prompt_id": .string(id)], onlyToClient: true)
            nodes.append((node, 0, 1, "running"))
            sendState()
            if prompt[node]?["class_type"]?.stringValue == "KSampler" {
                let steps = max(1, ComfyUIRender.integer(prompt[node]?["inputs"]?["steps"]) ?? 20)
                for step in 1...steps {
                    if stepDuration > .zero { try? await Task.sleep(for: stepDuration) }
                    if isInterrupted() {
                        interrupted(at: node)
                        return false
                    }
                    nodes[nodes.count - 1].value = step
                    nodes[nodes.count - 1].max = steps
                    sendState()
                    toClient("progress", ["value": .number(JSONNumber(step)), "max": .number(JSONNumber(steps)), "prompt_id": .string(id), "node": .string(node)])
                }
            } else if isInterrupted() {
                interrupted(at: node)
                return false
            }
            nodes[nodes.count - 1].value = nodes[nodes.count - 1].max
            nodes[nodes.count - 1].state = "finished"
            sendState()
        }
        return true
    }

    /// `executed` for each output with its images, then `execution_success`.
    func succeeded(_ outputs: JSONObject) {
        for (node, output) in outputs {
            toClient("executed", ["node": .string(node), "display_node": .string(node), "output": output, "prompt_id": .string(id)], onlyToClient: true)
        }
        toClient("execution_success", ["prompt_id": .string(id), "timestamp": .number(JSONNumber(ComfyUIService.milliseconds()))], onlyToClient: true)
    }

    /// After the history entry is written (main.py `prompt_worker`).
    func finished(queueRemaining: Int) {
        toClient("executing", ["node": nil, "prompt_id": .string(id)], onlyToClient: true)
        sockets.send("status", Self.status(queueRemaining: queueRemaining), to: nil)
    }

    /// What `status` says: `{status: {exec_info: {queue_remaining}}}`.
    static func status(queueRemaining: Int) -> JSON {
        ["status": ["exec_info": ["queue_remaining": .number(JSONNumber(queueRemaining))]]]
    }

    private func interrupted(at node: String) {
        let executed = JSON.array(nodes.filter { $0.state == "finished" }.map { .string($0.id) })
        toClient(
            "execution_interrupted",
            [
                "prompt_id": .string(id), "node_id": .string(node), "node_type": .string(prompt[node]?["class_type"]?.stringValue ?? ""),
                "executed": executed, "timestamp": .number(JSONNumber(ComfyUIService.milliseconds())),
            ]
        )
    }

    /// progress.py `_send_progress_state`: every node not pending, to every socket.
    private func sendState() {
        var all = JSONObject()
        for node in nodes {
            all[node.id] = [
                "value": .number(JSONNumber(node.value)), "max": .number(JSONNumber(node.max)), "state": .string(node.state), "node_id": .string(node.id),
                "prompt_id": .string(id), "display_node_id": .string(node.id), "parent_node_id": nil, "real_node_id": .string(node.id),
            ]
        }
        sockets.send("progress_state", ["prompt_id": .string(id), "nodes": .object(all)], to: nil)
    }

    /// To the prompt's client; with none, to every socket, or to none when
    /// ComfyUI sends it only to a client.
    private func toClient(_ type: String, _ data: JSON, onlyToClient: Bool = false) {
        if client == nil, onlyToClient { return }
        sockets.send(type, data, to: client)
    }
}
