import Jobs
import JSON

extension LoadedPlugin {
    /// `step` with its options checked against the ones the plugin declares
    /// (ABI 1.2): an option it does not list, a value out of its range or a
    /// missing required one is refused, naming the accepted options. A
    /// plugin that declares none (older than 1.2, or a NULL list) takes any
    /// options as they are.
    public func checked(_ step: PluginStep) throws(PluginStepError) -> PluginStep {
        guard let declared = options else { return step }
        let given = step.options.objectValue ?? [:]
        var accepted = JSONObject()
        for (key, value) in given {
            guard let option = declared.first(where: { $0.name == key }) else {
                throw PluginStepError(
                    "\(name) has no option '\(key)'; "
                        + (declared.isEmpty ? "it takes none" : "it takes " + declared.map(\.name).joined(separator: ", ") + " (vcctl plugins lists them)")
                )
            }
            switch option.accept(value) {
            case .success(let normalized):
                accepted[key] = normalized
            case .failure:
                let shown = value.stringValue ?? JSONSerializer.serializeToString(value)
                throw PluginStepError(
                    "\(name): \(key)=\(shown) is not accepted: \(key) is \(option.accepted)" + (option.summary.isEmpty ? "" : " (\(option.summary))")
                )
            }
        }
        for option in declared where option.required && given[option.name] == nil {
            throw PluginStepError(
                "\(name) needs the option \(option.name) (\(option.accepted)\(option.summary.isEmpty ? "" : ": " + option.summary))"
            )
        }
        return PluginStep(name: step.name, options: .object(accepted))
    }
}
