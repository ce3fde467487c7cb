import Backends
import JSON
import Posix

/// How far ComfyUI is with each prompt, as its websocket tells (server.py
/// `send_json`: `{"type": ..., "data": ...}` text frames; main.py
/// `hijack_progress`; execution.py; comfy_execution/progress.py).
///
/// What counts are the nodes that count steps (a `max` above 1: the
/// samplers): the fraction is their steps done over their steps in all,
/// from `progress` (`{value, max, prompt_id, node}`) and, on newer servers,
/// `progress_state` (`{prompt_id, nodes: {id: {value, max, state}}}`). A
/// graph with several samplers is known one sampler at a time: each adds
/// its steps when it starts. `executing` with `node: null`, or
/// `execution_success`, means the prompt is done. Everything else (status,
/// execution_cached, executed, previews) says nothing about progress.
package struct ComfyUIProgressTracker: Sendable {
    /// One prompt's step-counting nodes, and when its steps were seen.
    struct Prompt: Sendable {
        var nodes: [String: (value: Double, max: Double)] = [:]
        var done = false
        /// The first step count seen and when: the pace is measured from it.
        var firstSeen: (steps: Double, at: MonotonicInstant)?
        var lastSeen: (steps: Double, at: MonotonicInstant)?

        var steps: (done: Double, all: Double) {
            nodes.values.reduce((0, 0)) { ($0.0 + min($1.value, $1.max), $0.1 + $1.max) }
        }
    }

    private(set) var prompts: [String: Prompt] = [:]
    /// The prompt ComfyUI runs now (`execution_start`, `executing`): older
    /// servers send `progress` without a prompt id.
    private(set) var running: String?

    package init() {}

    /// Takes one text message of the websocket; anything unreadable is passed over.
    package mutating func take(_ text: String, at now: MonotonicInstant = .now()) {
        guard let message = try? JSONParser.parse(Array(text.utf8)), let type = message["type"]?.stringValue, let data = message["data"] else { return }
        let id = data["prompt_id"]?.stringValue
        switch type {
        case "execution_start":
            guard let id else { return }
            running = id
            prompts[id] = Prompt()
        case "executing":
            guard let id = id ?? running else { return }
            if data["node"] == nil || data["node"]?.isNull == true {
                prompts[id, default: Prompt()].done = true
                if running == id { running = nil }
            } else {
                running = id
            }
        case "execution_success":
            if let id { prompts[id, default: Prompt()].done = true }
        case "execution_error", "execution_interrupted":
            // Polling tells the job what happened; progress just stops.
            if let id { prompts[id] = nil }
        case "progress":
            guard let id = id ?? running, let node = Self.nodeID(data["node"]), let value = data["value"]?.doubleValue, let max = data["max"]?.doubleValue
            else { return }
            record(id, [node: (value, max)], at: now)
        case "progress_state":
            guard let id, let nodes = data["nodes"]?.objectValue else { return }
            var counts: [String: (Double, Double)] = [:]
            for (node, state) in nodes {
                guard let max = state["max"]?.doubleValue, var value = state["value"]?.doubleValue else { continue }
                if state["state"]?.stringValue == "finished" { value = max }
                counts[node] = (value, max)
            }
            record(id, counts, at: now)
        default: return
        }
    }

    private mutating func record(_ id: String, _ counts: [String: (Double, Double)], at now: MonotonicInstant) {
        var prompt = prompts[id, default: Prompt()]
        for (node, (value, max)) in counts where max > 1 && max.isFinite && value.isFinite && value >= 0 {
            prompt.nodes[node] = (value, max)
        }
        let done = prompt.steps.done
        if prompt.firstSeen == nil, !prompt.nodes.isEmpty { prompt.firstSeen = (done, now) }
        if let last = prompt.lastSeen, last.steps == done {
            // The same count again (progress and progress_state both tell each step): keep when it was first seen.
        } else if !prompt.nodes.isEmpty {
            prompt.lastSeen = (done, now)
        }
        prompts[id] = prompt
    }

    /// `node` as ComfyUI sends it: a string id (a number from some custom servers).
    private static func nodeID(_ value: JSON?) -> String? {
        value?.stringValue ?? value?.numberValue?.text
    }

    /// How far prompt `id` is; nil before any step was counted. The time
    /// left is the steps left at the pace seen so far (decoding and saving
    /// after the last step are not in it); nil until two counts were seen.
    package func progress(of id: String) -> GenerationProgress? {
        guard let prompt = prompts[id] else { return nil }
        if prompt.done { return GenerationProgress(fraction: 1, remaining: .zero) }
        let (done, all) = prompt.steps
        guard all > 0 else { return nil }
        var remaining: Duration?
        if let first = prompt.firstSeen, let last = prompt.lastSeen, last.steps > first.steps {
            let perStep = first.at.duration(to: last.at).seconds / (last.steps - first.steps)
            remaining = .milliseconds(Int64((perStep * (all - done) * 1000).rounded()))
        }
        return GenerationProgress(fraction: done / all, remaining: remaining)
    }

    /// Forgets every prompt but `ids`: progress_state goes to every
    /// client, so that other clients' prompts are not kept.
    package mutating func keep(_ ids: Set<String>) {
        prompts = prompts.filter { ids.contains($0.key) }
        if let running, !ids.contains(running) { self.running = nil }
    }

    /// Forgets prompt `id`.
    package mutating func forget(_ id: String) {
        prompts[id] = nil
        if running == id { running = nil }
    }
}
