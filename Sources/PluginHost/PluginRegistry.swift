import Posix
import Synchronization

/// The plugins the daemon knows: every file found in the plugin folders,
/// loaded or with the reason it could not be. Files are loaded once;
/// `reload` picks up new ones (nothing is ever unloaded).
public final class PluginRegistry: Sendable {
    /// One plugin file.
    public struct Entry: Sendable {
        public let path: String
        /// The plugin, when it loaded.
        public let plugin: LoadedPlugin?
        /// Why it did not.
        public let error: String?

        /// The plugin's name, else the file's.
        public var name: String { plugin?.name ?? FileSystem.lastComponent(of: path) }
    }

    /// Where plugins are looked for, and which files count.
    public struct Folder: Sendable, Equatable {
        public let path: String
        /// Only files whose name starts with this (the binaries' folder holds
        /// other libraries too).
        public let prefix: String

        public init(path: String, prefix: String = "") {
            self.path = path
            self.prefix = prefix
        }
    }

    /// Shared libraries on this system.
    public static let fileExtension: String = {
        #if canImport(Darwin)
        ".dylib"
        #else
        ".so"
        #endif
    }()

    public let folders: [Folder]
    private let configuration: @Sendable (String) -> String
    private let log: @Sendable (Int32, String) -> Void
    private let entries = Mutex<[Entry]>([])

    /// - Parameter configuration: a plugin's configuration (JSON) by file name.
    public init(
        folders: [Folder], configuration: @escaping @Sendable (String) -> String = { _ in "{}" },
        log: @escaping @Sendable (Int32, String) -> Void = { _, _ in }
    ) {
        self.folders = folders
        self.configuration = configuration
        self.log = log
    }

    /// Every plugin file seen so far, in the order found.
    public var all: [Entry] { entries.withLock { $0 } }

    /// The loaded plugin called `name`.
    public func plugin(named name: String) -> LoadedPlugin? {
        entries.withLock { $0.first { $0.plugin?.name == name }?.plugin }
    }

    /// Loads the files not seen before. Blocking (dlopen, plugin init): call
    /// it from a thread of its own, not the cooperative pool.
    ///
    /// - Returns: the entries added.
    @discardableResult
    public func reload() -> [Entry] {
        var added: [Entry] = []
        for folder in folders {
            guard let names = try? FileSystem.contentsOfDirectory(folder.path) else { continue }
            for name in names where name.hasPrefix(folder.prefix) && name.hasSuffix(Self.fileExtension) {
                let path = "\(folder.path)/\(name)"
                if entries.withLock({ $0.contains { $0.path == path } }) { continue }
                let entry: Entry
                do {
                    let plugin = try PluginLoader.load(path, configuration: configuration(name), log: log)
                    if let existing = self.plugin(named: plugin.name) {
                        entry = Entry(path: path, plugin: nil, error: "a plugin named \(plugin.name) is already loaded from \(existing.path)")
                    } else {
                        entry = Entry(path: path, plugin: plugin, error: nil)
                    }
                } catch {
                    entry = Entry(path: path, plugin: nil, error: error.description)
                }
                entries.withLock { $0.append(entry) }
                added.append(entry)
            }
        }
        return added
    }
}
