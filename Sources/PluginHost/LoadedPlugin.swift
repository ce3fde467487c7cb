import Posix
import VisionCraftPluginABI

/// A plugin whose library is loaded, whose ABI matched and whose init
/// succeeded. Never unloaded.
public final class LoadedPlugin: @unchecked Sendable {
    public let name: String
    public let version: String
    public let summary: String
    public let path: String
    /// The ABI version it was built for.
    public let abi: (major: UInt16, minor: UInt16)
    public let hooks: Set<PluginHook>
    /// Its hooks are called from one thread at a time.
    public let serialized: Bool
    /// The options its steps may give, as its descriptor declares them (ABI
    /// 1.2); nil when it declares none: any options, unchecked.
    public let options: [PluginOption]?

    let descriptor: UnsafePointer<vc_plugin_descriptor>
    let state: UnsafeMutableRawPointer?
    let host: PluginHostCallbacks
    /// Held around each hook of a serialized plugin.
    let callLock = Lock<Void>(())
    /// Where calls are noted while they run (set by the registry).
    let journal = Lock<PluginCallJournal?>(nil)
    private let hang = Lock<String?>(nil)

    /// Why the plugin is considered hung (a hook passed its time limit), if it is.
    public var hung: String? { hang.withLock { $0 } }

    func markHung(hook: PluginHook, after timeout: Duration) {
        hang.withLock { $0 = "its \(hook) hook did not finish within \(timeout.seconds) s" }
    }

    init(
        path: String, descriptor: UnsafePointer<vc_plugin_descriptor>, options: [PluginOption]?, state: UnsafeMutableRawPointer?,
        host: PluginHostCallbacks
    ) {
        self.path = path
        self.options = options
        self.descriptor = descriptor
        self.state = state
        self.host = host
        let value = descriptor.pointee
        name = String(cString: value.name)
        version = value.version.map { String(cString: $0) } ?? ""
        summary = value.description.map { String(cString: $0) } ?? ""
        abi = (value.abi_major, value.abi_minor)
        hooks = PluginHook.set(from: value.hooks)
        serialized = value.flags & UInt32(VC_PLUGIN_SERIALIZED) != 0
    }
}

/// The hooks of the ABI.
public enum PluginHook: String, Sendable, CaseIterable, Comparable {
    case prompt, image, file

    var bit: UInt32 {
        switch self {
        case .prompt: UInt32(VC_HOOK_PROMPT)
        case .image: UInt32(VC_HOOK_IMAGE)
        case .file: UInt32(VC_HOOK_FILE)
        }
    }

    static func set(from bits: UInt32) -> Set<PluginHook> {
        Set(allCases.filter { bits & $0.bit != 0 })
    }

    public static func < (lhs: PluginHook, rhs: PluginHook) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
