import JSON
import JSONRPC

/// A plugin file as `plugins.list` shows it.
public struct PluginInfo: Sendable, Equatable {
    /// The plugin's name (what `--plugin` takes), or the file's when it did not load.
    public var name: String
    public var path: String
    /// Whether it loaded; else `error` says why.
    public var loaded: Bool
    public var version: String?
    public var description: String?
    /// prompt, image, file.
    public var hooks: [String]
    /// The plugin ABI it was built for ("1.0").
    public var abi: String?
    public var error: String?
    /// Why the plugin is marked hung (a hook passed its time limit); new jobs
    /// refuse it until the daemon restarts.
    public var hung: String?
    /// Why the plugin is disabled (the daemon died while one of its hooks
    /// ran); jobs refuse it until `plugins.enable`.
    public var disabled: String?
    /// Why the file on disk is no longer the code that runs (replaced or
    /// changed since it was loaded): a restart loads it.
    public var changed: String?
    /// The options its steps take (ABI 1.2), which `job.submit` checks;
    /// absent when the plugin declares none: any options, unchecked.
    public var options: [PluginOptionInfo]?

    public init(
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

/// The result of `plugins.list` and `plugins.reload`.
public struct PluginListResult: RPCResult, Equatable {
    public var plugins: [PluginInfo]
    /// The folders searched.
    public var folders: [String]

    public init(plugins: [PluginInfo], folders: [String]) {
        self.plugins = plugins
        self.folders = folders
    }

    public init(result: JSON) throws(FieldError) {
        var reader = try FieldReader(result, path: "result")
        guard case .array(let entries)? = reader.value("plugins") else { throw FieldError(field: "result.plugins", detail: "expected an array") }
        var plugins: [PluginInfo] = []
        for (index, entry) in entries.enumerated() {
            plugins.append(try PluginInfo(json: entry, path: "result.plugins[\(index)]"))
        }
        self.plugins = plugins
        folders = try reader.strings("folders") ?? []
    }

    public var result: JSON { ["plugins": .array(plugins.map(\.json)), "folders": .array(folders.map(JSON.string))] }
}

/// `plugins.list`: every plugin file found, loaded or with the reason it is not.
public enum PluginsList: RPCMethod {
    public static let name = "plugins.list"
    public typealias Parameters = NoParameters
    public typealias Result = PluginListResult
}

/// `plugins.reload`: load plugin files added since the start (loaded plugins
/// stay as they are: they are never unloaded), then list them all.
public enum PluginsReload: RPCMethod {
    public static let name = "plugins.reload"
    public typealias Parameters = NoParameters
    public typealias Result = PluginListResult
}

/// `plugins.enable`: turn a plugin disabled after a crash back on.
public enum PluginsEnable: RPCMethod {
    public static let name = "plugins.enable"

    public struct Parameters: RPCParameters, Equatable {
        public var name: String

        public init(name: String) {
            self.name = name
        }

        public init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                name = try reader.required("name", try reader.string("name", nonEmpty: true))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        public var params: JSON? { ["name": .string(name)] }
    }

    public typealias Result = PluginListResult
}
