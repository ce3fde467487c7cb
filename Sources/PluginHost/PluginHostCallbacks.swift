import Posix
import VisionCraftPluginABI

/// The `vc_host` table handed to plugins: malloc-backed allocation (the host
/// frees what plugins return with `free`) and a log line with the plugin's
/// name. One table per plugin, alive for the whole process (plugins are never
/// unloaded).
final class PluginHostCallbacks: @unchecked Sendable {
    let table: UnsafeMutablePointer<vc_host>
    let name: String
    let log: @Sendable (Int32, String) -> Void

    init(name: String, log: @escaping @Sendable (Int32, String) -> Void) {
        self.name = name
        self.log = log
        table = .allocate(capacity: 1)
        table.initialize(to: vc_host(
            size: UInt32(MemoryLayout<vc_host>.size), abi_major: UInt16(VC_PLUGIN_ABI_MAJOR), abi_minor: UInt16(VC_PLUGIN_ABI_MINOR),
            allocate: { bytes in malloc(max(bytes, 1)) },
            release: { pointer in free(pointer) },
            log: { host, level, message in
                guard let host, let context = host.pointee.context, let message else { return }
                let callbacks = Unmanaged<PluginHostCallbacks>.fromOpaque(context).takeUnretainedValue()
                callbacks.log(level, "plugin \(callbacks.name): \(String(cString: message))")
            },
            context: nil
        ))
        // Never released: the table and this object live as long as the plugin.
        table.pointee.context = Unmanaged.passRetained(self).toOpaque()
    }
}
