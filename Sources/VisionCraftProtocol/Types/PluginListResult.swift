import JSON
import JSONRPC

/// The result of `plugins.list` and `plugins.reload`.
package struct PluginListResult: RPCResult, Equatable {
    package var plugins: [PluginInfo]
    /// The folders searched.
    package var folders: [String]

    package init(plugins: [PluginInfo], folders: [String]) {
        self.plugins = plugins
        self.folders = folders
    }

    package init(result: JSON) throws(FieldError) {
        var reader = try FieldReader(result, path: "result")
        guard case .array(let entries)? = reader.value("plugins") else { throw FieldError(field: "result.plugins", detail: "expected an array") }
        var plugins: [PluginInfo] = []
        for (index, entry) in entries.enumerated() {
            plugins.append(try PluginInfo(json: entry, path: "result.plugins[\(index)]"))
        }
        self.plugins = plugins
        folders = try reader.strings("folders") ?? []
    }

    package var result: JSON { ["plugins": .array(plugins.map(\.json)), "folders": .array(folders.map(JSON.string))] }
}
