import JSONRPC
import JSONRPCServer
import PluginHost
import Posix
import VisionCraftProtocol

/// `plugins.list` and `plugins.reload` over the daemon's plugin registry.
struct PluginMethods: Sendable {
    let registry: PluginRegistry

    func register(in table: inout RPCMethodTable) {
        let registry = self.registry
        table.register(PluginsList.self) { _, _ in Self.list(registry) }
        // Enabling rewrites the file of disabled plugins: off the event loop.
        table.register(PluginsEnable.self, .waiting) { parameters, _ in
            guard try await onOwnThread(name: "vc-plugin-state", { registry.enable(parameters.name) }) else {
                throw RPCError.invalidParams(field: "params.name", "plugin \(parameters.name) is not disabled")
            }
            return Self.list(registry)
        }
        table.register(PluginsReload.self) { _, _ in
            // dlopen and plugin init block: on a thread of their own.
            _ = try await onOwnThread { registry.reload() }
            return Self.list(registry)
        }
    }

    static func list(_ registry: PluginRegistry) -> PluginListResult {
        PluginListResult(
            plugins: registry.all.map { entry in
                PluginInfo(
                    name: entry.name, path: entry.path, loaded: entry.plugin != nil, version: entry.plugin?.version,
                    description: entry.plugin?.summary, hooks: entry.plugin?.hooks.sorted().map(\.rawValue) ?? [],
                    abi: entry.plugin.map { "\($0.abi.major).\($0.abi.minor)" }, error: entry.error, hung: entry.plugin?.hung,
                    disabled: registry.disabledReason(entry.name), changed: entry.changedOnDisk,
                    options: entry.plugin?.options.map { $0.map(info) }
                )
            },
            folders: registry.folders.map(\.path)
        )
    }

    private static func info(_ option: PluginOption) -> PluginOptionInfo {
        PluginOptionInfo(
            name: option.name, type: option.kind.rawValue, required: option.required, minimum: option.range?.lowerBound,
            maximum: option.range?.upperBound, choices: option.choices, description: option.summary.isEmpty ? nil : option.summary
        )
    }
}
