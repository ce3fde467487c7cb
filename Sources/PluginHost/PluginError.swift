/// Why a plugin could not be loaded or a hook failed, naming the file or
/// the plugin so that the user knows which one to fix.
public struct PluginError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// dlopen failed (not a shared library, a missing dependency).
        case notLoadable
        /// No `visioncraft_plugin_entry` symbol.
        case missingEntryPoint
        /// Built for another ABI version.
        case abiMismatch
        /// The descriptor is incomplete or inconsistent.
        case invalidDescriptor
        /// init returned an error.
        case initFailed
        /// A hook returned an error.
        case hookFailed
        /// A hook ran past its time limit.
        case timedOut
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
