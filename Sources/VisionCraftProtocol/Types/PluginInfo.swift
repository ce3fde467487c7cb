import JSON
import JSONRPC

/// A plugin file as `plugins.list` shows it.
package struct PluginInfo: Sendable, Equatable {
    /// The plugin's name (what `--plugin` takes), or the file's when it did not load.
    package var name: String
    package var path: String
    /// Whether it loaded; else `error` says why.
    package var loaded: Bool
    package var version: String?
    package var description: String?
    /// prompt, image, file.
    package var hooks: [String]
    /// The plugin ABI it was built for ("1.0").
    package var abi: String?
    package var error: String?
    /// Why the plugin is marked hung (a hook passed its time limit); new jobs
    /// refuse it until the daemon restarts.
    package var hung: String?
    /// Why the plugin is disabled (the daemon died while one of its hooks
    /// ran); jobs refuse it until `plugins.enable`.
    package var disabled: String?
    /// Why the file on disk is no longer the code that runs (replaced or
    /// changed since it was loaded): a restart loads it.
    package var changed: String?
    /// The options its steps take (ABI 1.2), which `job.submit` checks;
    /// absent when the plugin declares none: any options, unchecked.
    package var options: [PluginOptionInfo]?

    package init(
        name: String, path: String, loaded: Bool, version: String?, description: String?, hooks: [String], abi: String?, error: String?,
        hung: String? = nil, disabled: String? = nil, changed: String? = nil, options: [PluginOptionInfo]? = nil
    ) {
        self.name = name
        self.path = path
        self.loaded = loaded
        self.version = version
        self.description = description
        self.hooks = hooks
        self.abi = abi
        self.error = error
        self.hung = hung
        self.disabled = disabled
        self.changed = changed
        self.options = options
    }

    var json: JSON {
        var object: JSONObject = ["name": .string(name), "path": .string(path), "loaded": .bool(loaded), "hooks": .array(hooks.map(JSON.string))]
        if let version { object["version"] = .string(version) }
        if let description { object["description"] = .string(description) }
        if let abi { object["abi"] = .string(abi) }
        if let error { object["error"] = .string(error) }
        if let hung { object["hung"] = .string(hung) }
        if let disabled { object["disabled"] = .string(disabled) }
        if let changed { object["changed"] = .string(changed) }
        if let options { object["options"] = .array(options.map(\.json)) }
        return .object(object)
    }

    init(json: JSON, path location: String) throws(FieldError) {
        var reader = try FieldReader(json, path: location)
        name = try reader.required("name", try reader.string("name"))
        path = try reader.required("path", try reader.string("path"))
        loaded = try reader.required("loaded", try reader.boolean("loaded"))
        version = try reader.string("version")
        description = try reader.string("description")
        hooks = try reader.strings("hooks") ?? []
        abi = try reader.string("abi")
        error = try reader.string("error")
        hung = try reader.string("hung")
        disabled = try reader.string("disabled")
        changed = try reader.string("changed")
        switch reader.value("options") {
        case nil, .null?:
            options = nil
        case .array(let entries)?:
            var options: [PluginOptionInfo] = []
            for (index, entry) in entries.enumerated() {
                options.append(try PluginOptionInfo(json: entry, path: "\(location).options[\(index)]"))
            }
            self.options = options
        default:
            throw FieldError(field: "\(location).options", detail: "expected an array")
        }
    }
}
