import Jobs
import Posix
import VisionCraftPluginABI

/// Loads one plugin file: `dlopen`, the entry point, the ABI check (before
/// anything else in the descriptor is read), the descriptor's consistency,
/// then `init` with the plugin's configuration.
public enum PluginLoader {
    /// The ABI this host speaks.
    public static let abi = (major: UInt16(VC_PLUGIN_ABI_MAJOR), minor: UInt16(VC_PLUGIN_ABI_MINOR))

    /// Loads `path`. On failure the library may stay mapped (plugins are never
    /// unloaded: a half-initialised library is safer left alone).
    public static func load(
        _ path: String, configuration: String = "{}", log: @escaping @Sendable (Int32, String) -> Void = { _, _ in }
    ) throws(PluginError) -> LoadedPlugin {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw PluginError(.notLoadable, "\(path) cannot be loaded: \(reason)")
        }
        guard let symbol = dlsym(handle, VC_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginError(.missingEntryPoint, "\(path) is not a visioncraft plugin: it exports no \(VC_PLUGIN_ENTRY_SYMBOL) function")
        }
        let entry = unsafeBitCast(symbol, to: vc_plugin_entry.self)
        guard let descriptor = entry() else {
            throw PluginError(.invalidDescriptor, "\(path): \(VC_PLUGIN_ENTRY_SYMBOL) returned no descriptor")
        }
        // Fields are read from raw memory until the size is known: an older
        // plugin's descriptor is shorter than this header's struct.
        let raw = UnsafeRawPointer(descriptor)
        func field<T>(_ path: KeyPath<vc_plugin_descriptor, T>, _ type: T.Type) -> T {
            raw.load(fromByteOffset: MemoryLayout<vc_plugin_descriptor>.offset(of: path)!, as: type)
        }
        // The two version fields come first in every version of the struct.
        let major = field(\.abi_major, UInt16.self)
        let minor = field(\.abi_minor, UInt16.self)
        guard major == abi.major, minor <= abi.minor else {
            throw PluginError(
                .abiMismatch,
                "\(path) was built for plugin ABI \(major).\(minor); this visioncraftd speaks \(abi.major).\(abi.minor)"
                    + (major == abi.major ? " (update visioncraftd)" : " (rebuild the plugin against Protocol/visioncraft_plugin.h)")
            )
        }
        let size = Int(field(\.size, UInt32.self))
        guard size >= minimumDescriptorSize else {
            throw PluginError(.invalidDescriptor, "\(path): the descriptor is \(size) bytes, smaller than ABI \(major).0's \(minimumDescriptorSize)")
        }
        // A copy of our own, as long as this header's struct: the fields an
        // older plugin does not have are zero (NULL).
        // Never freed: plugins are never unloaded.
        let copy = UnsafeMutablePointer<vc_plugin_descriptor>.allocate(capacity: 1)
        copy.initialize(to: vc_plugin_descriptor())
        UnsafeMutableRawPointer(copy).copyMemory(from: raw, byteCount: min(size, MemoryLayout<vc_plugin_descriptor>.size))
        let own = UnsafePointer(copy)
        let value = own.pointee
        guard let namePointer = value.name, PluginStep.isPluginName(String(cString: namePointer)) else {
            throw PluginError(.invalidDescriptor, "\(path): the plugin's name must be 1 to 32 characters of a-z, 0-9 and -")
        }
        let name = String(cString: namePointer)
        let hooks = PluginHook.set(from: value.hooks)
        for hook in hooks {
            let present = switch hook {
            case .prompt: value.prompt != nil
            case .image: value.image != nil
            case .file: value.file != nil
            }
            guard present else { throw PluginError(.invalidDescriptor, "\(path): plugin \(name) declares the \(hook) hook without its function") }
        }
        guard !hooks.isEmpty else { throw PluginError(.invalidDescriptor, "\(path): plugin \(name) implements no hook") }
        let options = minor >= 2 ? try readOptions(value.options, path: path, plugin: name) : nil

        let host = PluginHostCallbacks(name: name, log: log)
        var state: UnsafeMutableRawPointer?
        if let initialize = value.`init` {
            var error: UnsafeMutablePointer<CChar>?
            let status = configuration.withCString { initialize(host.table, $0, &state, &error) }
            if status != VC_OK {
                throw PluginError(.initFailed, "plugin \(name) (\(path)) did not start: \(message(error, status))")
            }
        }
        return LoadedPlugin(path: path, descriptor: own, options: options, state: state, host: host)
    }

    /// The most options a plugin may declare.
    static let maximumOptions = 64

    /// A descriptor's option list (ABI 1.2), checked; nil for a NULL list.
    static func readOptions(_ list: UnsafePointer<vc_plugin_option>?, path: String, plugin: String) throws(PluginError) -> [PluginOption]? {
        guard let list else { return nil }
        func refuse(_ problem: String) -> PluginError {
            PluginError(.invalidDescriptor, "\(path): plugin \(plugin)'s options: \(problem)")
        }
        var options: [PluginOption] = []
        for index in 0...maximumOptions {
            let entry = list[index]
            guard let namePointer = entry.name else { return options }
            guard index < maximumOptions else { throw refuse("more than \(maximumOptions), or the list does not end with a NULL name") }
            let name = String(cString: namePointer)
            guard isOptionName(name) else { throw refuse("'\(name)' is not an option name (1 to 32 characters of a-z, 0-9 and _)") }
            guard !options.contains(where: { $0.name == name }) else { throw refuse("\(name) is declared twice") }
            let kind: PluginOption.Kind
            switch entry.type {
            case UInt32(VC_OPTION_INTEGER.rawValue): kind = .integer
            case UInt32(VC_OPTION_NUMBER.rawValue): kind = .number
            case UInt32(VC_OPTION_STRING.rawValue): kind = .string
            case UInt32(VC_OPTION_BOOLEAN.rawValue): kind = .boolean
            default: throw refuse("\(name) has an unknown type \(entry.type)")
            }
            guard !entry.minimum.isNaN, !entry.maximum.isNaN, entry.minimum <= entry.maximum else {
                throw refuse("\(name)'s range \(entry.minimum) to \(entry.maximum) is empty")
            }
            var range: ClosedRange<Double>? = entry.minimum...entry.maximum
            var choices: [String]?
            switch kind {
            case .boolean:
                range = nil
            case .string:
                guard entry.minimum >= 0 else { throw refuse("\(name)'s length cannot be negative") }
                if entry.minimum == 0, entry.maximum == 0 { range = nil }
                if let list = entry.choices {
                    var values: [String] = []
                    while let value = list[values.count] {
                        guard values.count < maximumOptions else { throw refuse("\(name) has more than \(maximumOptions) choices") }
                        values.append(String(cString: value))
                    }
                    guard !values.isEmpty else { throw refuse("\(name) lists no choice") }
                    choices = values
                }
            case .integer, .number:
                break
            }
            options.append(PluginOption(
                name: name, kind: kind, required: entry.flags & UInt32(VC_OPTION_REQUIRED) != 0, range: range, choices: choices,
                summary: entry.description.map { String(cString: $0) } ?? "", infotext: entry.infotext.map { String(cString: $0) }
            ))
        }
        return options
    }

    /// Option names: what users type before `=` in `--plugin NAME:KEY=VALUE`.
    static func isOptionName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// The size of an ABI 1.0 descriptor: everything up to `image_plan`
    /// (1.1). A descriptor may not be shorter.
    static let minimumDescriptorSize = MemoryLayout<vc_plugin_descriptor>.offset(of: \.image_plan)!

    /// The longest message taken from a plugin.
    static let maximumMessageBytes = 1024

    /// A plugin's error message (freed), or the status's name.
    static func message(_ error: UnsafeMutablePointer<CChar>?, _ status: vc_status) -> String {
        defer { free(error) }
        if let error {
            // A plugin's message ends up in the job, its events and the log:
            // at most `maximumMessageBytes` of it (a cut character shows as U+FFFD).
            let length = strnlen(error, maximumMessageBytes + 1)
            let bytes = UnsafeRawBufferPointer(start: error, count: min(length, maximumMessageBytes))
            let text = String(decoding: bytes, as: UTF8.self)
            return length > maximumMessageBytes ? text + "... (cut at \(maximumMessageBytes) bytes)" : text
        }
        switch status {
        case VC_INVALID_INPUT: return "invalid input"
        case VC_OUT_OF_MEMORY: return "out of memory"
        case VC_UNSUPPORTED: return "unsupported"
        default: return "failed (status \(status.rawValue))"
        }
    }
}
