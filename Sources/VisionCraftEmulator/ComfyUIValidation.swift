import JSON

/// execution.py's `validate_prompt` for the standard nodes: the graph's
/// shape, then each output node's inputs followed link by link. Its verdict
/// is what `POST /prompt` answers: the `error` and `node_errors` of a 400,
/// or the outputs to run (with the failed outputs' `node_errors`, as
/// ComfyUI runs a prompt when at least one output is good).
struct ComfyUIValidation {
    /// The 400's `error`; nil: the prompt is queued.
    var error: JSON?
    var nodeErrors: JSONObject
    /// The good output nodes, in id order.
    var outputs: [String]

    /// The checks, for a graph given as `prompt`.
    init(_ prompt: JSONObject, inputImages: [String]) {
        nodeErrors = [:]
        outputs = []
        error = nil
        var outputIDs: [String] = []
        for (id, node) in prompt {
            guard case .object(let fields) = node, case .string(let classType)? = fields["class_type"] else {
                error = Self.error("invalid_prompt", "Cannot execute because a node is missing the class_type property.", details: "Node ID '#\(id)'")
                return
            }
            guard let spec = ComfyUINodes.node(classType) else {
                error = Self.error(
                    "missing_node_type", "Node '\(classType)' not found. The custom node may not be installed.", details: "Node ID '#\(id)'",
                    extra: ["node_id": .string(id), "class_type": .string(classType), "node_title": .string(classType)])
                return
            }
            if spec.isOutput { outputIDs.append(id) }
        }
        guard !outputIDs.isEmpty else {
            error = Self.error("prompt_no_outputs", "Prompt has no outputs", details: "")
            return
        }
        var checker = Checker(prompt: prompt, inputImages: inputImages)
        var failedOutputs: [String] = []
        for output in outputIDs.sorted() {
            if checker.validate(output) {
                outputs.append(output)
                continue
            }
            failedOutputs.append(output)
            // Every failed node the output depends on names it.
            for id in checker.failedNodes(under: output) {
                var entry = checker.errors[id] ?? ["errors": [], "dependent_outputs": [], "class_type": .string(checker.classType(id))]
                entry["dependent_outputs"] = .array((entry["dependent_outputs"]?.arrayValue ?? []) + [.string(output)])
                nodeErrors[id] = .object(entry)
                checker.errors[id] = entry
            }
        }
        if outputs.isEmpty {
            // Only the output nodes' own errors, as ComfyUI lists them (an
            // error further up shows in node_errors alone).
            let details = failedOutputs.flatMap { output in
                (checker.errors[output]?["errors"]?.arrayValue ?? []).map { "\($0["message"]?.stringValue ?? ""): \($0["details"]?.stringValue ?? "")" }
            }
            error = Self.error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details: details.joined(separator: "\n"))
        }
    }

    /// An `error` object: type, message, details, extra_info.
    static func error(_ type: String, _ message: String, details: String, extra: JSONObject = [:]) -> JSON {
        ["type": .string(type), "message": .string(message), "details": .string(details), "extra_info": .object(extra)]
    }

    /// validate_inputs, memoised per node as ComfyUI's `validated` dict is.
    private struct Checker {
        let prompt: JSONObject
        let inputImages: [String]
        var verdicts: [String: Bool] = [:]
        /// node id -> {errors, dependent_outputs, class_type}, for failed nodes.
        var errors: [String: JSONObject] = [:]
        /// node id -> the nodes it links to.
        var links: [String: [String]] = [:]

        init(prompt: JSONObject, inputImages: [String]) {
            self.prompt = prompt
            self.inputImages = inputImages
        }

        func classType(_ id: String) -> String { prompt[id]?["class_type"]?.stringValue ?? "" }

        /// The failed nodes reachable from `output`, itself included.
        func failedNodes(under output: String) -> [String] {
            var seen: Set<String> = []
            var order: [String] = []
            var stack = [output]
            while let id = stack.popLast() {
                guard seen.insert(id).inserted else { continue }
                if verdicts[id] == false, !(errors[id]?["errors"]?.arrayValue ?? []).isEmpty { order.append(id) }
                stack += links[id] ?? []
            }
            return order.sorted()
        }

        mutating func validate(_ id: String) -> Bool {
            if let verdict = verdicts[id] { return verdict }
            // A cycle reads as valid here; ComfyUI finds it when it runs.
            verdicts[id] = true
            let classType = classType(id)
            guard let node = ComfyUINodes.node(classType), case .object(let fields)? = prompt[id]?["inputs"] ?? .object([:]) else {
                verdicts[id] = false
                return false
            }
            var problems: [JSON] = []
            var valid = true
            for input in node.inputs {
                let config = ComfyUINodes.spec(input, inputImages: inputImages)
                guard let value = fields[input.name] else {
                    problems.append(ComfyUIValidation.error("required_input_missing", "Required input is missing", details: input.name, extra: ["input_name": .string(input.name)]))
                    continue
                }
                let extra: JSONObject = ["input_name": .string(input.name), "input_config": config, "received_value": value]
                if case .array(let link) = value {
                    guard link.count == 2, let from = link[0].stringValue ?? link[0].numberValue?.text, let slot = link[1].intValue,
                        let source = prompt[from], let sourceNode = ComfyUINodes.node(source["class_type"]?.stringValue ?? "")
                    else {
                        problems.append(
                            ComfyUIValidation.error(
                                "bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", details: input.name, extra: extra))
                        continue
                    }
                    links[id, default: []].append(from)
                    let expected: String
                    switch input.kind {
                    case .link(let type): expected = type
                    case .int: expected = "INT"
                    case .float: expected = "FLOAT"
                    case .string: expected = "STRING"
                    case .choices: expected = "COMBO"
                    }
                    let received = sourceNode.outputs.indices.contains(slot) ? sourceNode.outputs[slot] : "*"
                    guard received == expected else {
                        var mismatch = extra
                        mismatch["received_type"] = .string(received)
                        mismatch["linked_node"] = value
                        mismatch["received_value"] = nil
                        problems.append(
                            ComfyUIValidation.error(
                                "return_type_mismatch", "Return type mismatch between linked nodes",
                                details: "\(input.name), received_type(\(received)) mismatch input_type(\(expected))", extra: mismatch))
                        continue
                    }
                    if !validate(from) { valid = false }
                    continue
                }
                if let problem = Self.check(value, input, extra: extra, inputImages: inputImages) { problems.append(problem) }
            }
            if !problems.isEmpty {
                errors[id] = ["errors": .array(problems), "dependent_outputs": [], "class_type": .string(classType)]
                valid = false
            }
            verdicts[id] = valid
            return valid
        }

        /// A widget value's conversion, range and list checks.
        static func check(_ value: JSON, _ input: ComfyUINodes.Input, extra: JSONObject, inputImages: [String]) -> JSON? {
            let shown = PythonFormat.str(value)
            switch input.kind {
            case .link:
                return ComfyUIValidation.error(
                    "bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", details: input.name, extra: extra)
            case .int(_, let min, let max):
                guard let number = Self.number(value) else {
                    return ComfyUIValidation.error(
                        "invalid_input_type", "Failed to convert an input value to a INT value",
                        details: "\(input.name), \(shown), \(Self.intFailure(shown))", extra: Self.failing(extra, Self.intFailure(shown)))
                }
                if number < Double(min) {
                    return ComfyUIValidation.error("value_smaller_than_min", "Value \(Int(number)) smaller than min of \(min)", details: input.name, extra: extra)
                }
                if number > Double(max) {
                    return ComfyUIValidation.error("value_bigger_than_max", "Value \(Int(number)) bigger than max of \(max)", details: input.name, extra: extra)
                }
            case .float(_, let min, let max, _):
                guard let number = Self.number(value) else {
                    return ComfyUIValidation.error(
                        "invalid_input_type", "Failed to convert an input value to a FLOAT value",
                        details: "\(input.name), \(shown), \(Self.floatFailure(shown))", extra: Self.failing(extra, Self.floatFailure(shown)))
                }
                if number < min {
                    return ComfyUIValidation.error(
                        "value_smaller_than_min", "Value \(PythonFormat.float(number)) smaller than min of \(PythonFormat.float(min))", details: input.name,
                        extra: extra)
                }
                if number > max {
                    return ComfyUIValidation.error(
                        "value_bigger_than_max", "Value \(PythonFormat.float(number)) bigger than max of \(PythonFormat.float(max))", details: input.name,
                        extra: extra)
                }
            case .string:
                break
            case .choices(let choices):
                let list = ComfyUINodes.values(choices, inputImages: inputImages)
                guard case .string(let text) = value, list.contains(text) else {
                    // ComfyUI leaves out long lists, the config with them.
                    var extra = extra
                    if list.count > 20 { extra["input_config"] = .null }
                    let shownList = list.count > 20 ? "(list of length \(list.count))" : "[" + list.map(PythonFormat.repr).joined(separator: ", ") + "]"
                    return ComfyUIValidation.error("value_not_in_list", "Value not in list", details: "\(input.name): '\(shown)' not in \(shownList)", extra: extra)
                }
            }
            return nil
        }

        /// Python's ValueError texts for int() and float() of a string.
        static func intFailure(_ text: String) -> String { "invalid literal for int() with base 10: \(PythonFormat.repr(text))" }
        static func floatFailure(_ text: String) -> String { "could not convert string to float: \(PythonFormat.repr(text))" }

        /// A conversion error's extra_info: with the exception's message.
        static func failing(_ extra: JSONObject, _ message: String) -> JSONObject {
            var extra = extra
            extra["exception_message"] = .string(message)
            return extra
        }

        /// int() / float() of a widget value: numbers, booleans, numeric strings.
        static func number(_ value: JSON) -> Double? {
            switch value {
            case .number(let number): return number.double
            case .bool(let flag): return flag ? 1 : 0
            case .string(let text): return Double(Substring(text).trimmingCharacters(in: " "))
            default: return nil
            }
        }
    }
}
