import Posix

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
        /// The file as it was when it was loaded (device, inode, size, time).
        let loadedFile: FileStatus?

        init(path: String, plugin: LoadedPlugin?, error: String?, loadedFile: FileStatus? = nil) {
            self.path = path
            self.plugin = plugin
            self.error = error
            self.loadedFile = loadedFile
        }

        /// The plugin's name, else the file's.
        public var name: String { plugin?.name ?? FileSystem.lastComponent(of: path) }

        /// Why a loaded plugin's file is no longer the code that runs, if it
        /// is not: plugins are never unloaded, so a file replaced (a new
        /// build installed by rename) or changed in place (`cp` over it, which
        /// can crash the daemon that has it mapped) takes effect only after a
        /// restart. One `stat`.
        public var changedOnDisk: String? {
            guard plugin != nil, let loaded = loadedFile else { return nil }
            guard let now = (try? FileSystem.status(path)).flatMap({ $0 }) else {
                return "the file was removed since it was loaded; the daemon runs the old code until it restarts"
            }
            if now.device != loaded.device || now.inode != loaded.inode {
                return "the file was replaced since it was loaded; restart the daemon to use the new one (vcctl daemon restart)"
            }
            if now.size != loaded.size || now.modified != loaded.modified {
                return "the file was changed in place since it was loaded (install plugins by rename, not cp: a loaded file changed in place can crash the daemon); restart the daemon (vcctl daemon restart)"
            }
            return nil
        }
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
    private let entries = Lock<[Entry]>([])
    /// Plugins turned off because the daemon died while one of their hooks
    /// ran: name -> reason. Kept in `state/plugins-disabled`.
    private let disabledPlugins = Lock<[String: String]>([:])
    private let journal: PluginCallJournal?
    private let disabledFile: String?

    /// - Parameters:
    ///   - configuration: a plugin's configuration (JSON) by file name.
    ///   - stateFolder: where running calls are noted and disabled plugins
    ///     remembered; nil: neither (tests).
    public init(
        folders: [Folder], stateFolder: String? = nil, configuration: @escaping @Sendable (String) -> String = { _ in "{}" },
        log: @escaping @Sendable (Int32, String) -> Void = { _, _ in }
    ) {
        self.folders = folders
        self.configuration = configuration
        self.log = log
        journal = stateFolder.flatMap { try? PluginCallJournal(folder: "\($0)/plugin-calls") }
        disabledFile = stateFolder.map { "\($0)/plugins-disabled" }
        var disabled = Self.readDisabled(disabledFile)
        let leftovers = journal?.takeLeftovers() ?? .init()
        for call in leftovers.calls {
            guard let signal = leftovers.fatalSignal else {
                // Killed from outside (SIGKILL cannot be caught): not the
                // plugin's doing, as far as anyone can tell; its job is requeued.
                log(2, "the daemon was killed while plugin \(call.plugin)'s \(call.hook) hook was running; the plugin stays enabled")
                continue
            }
            let reason = "the daemon crashed (\(Signal(rawValue: signal).description)) while its \(call.hook) hook was running, at \(WallClock.now().iso8601)"
            disabled[call.plugin] = reason
            log(3, "plugin \(call.plugin) is disabled: \(reason); vcctl plugins --enable \(call.plugin) turns it back on")
        }
        disabledPlugins.withLock { $0 = disabled }
        writeDisabled(disabled)
    }

    /// Makes a crash of this process while a hook runs distinguishable from
    /// a kill after the restart (see `PluginCallJournal.recordFatalSignals`).
    /// The daemon calls it once at start; without a state folder it does nothing.
    public func recordCrashes() throws(SystemError) {
        try journal?.recordFatalSignals()
    }

    /// What a name stands for.
    public enum Lookup: Sendable {
        case loaded(LoadedPlugin)
        /// Loaded, but turned off after a crash: the reason.
        case disabled(String)
        case missing
    }

    /// The plugin called `name`, if loaded and not disabled.
    public func lookup(_ name: String) -> Lookup {
        if let reason = disabledPlugins.withLock({ $0[name] }) { return .disabled(reason) }
        return plugin(named: name).map { .loaded($0) } ?? .missing
    }

    /// Why `name` is disabled, if it is.
    public func disabledReason(_ name: String) -> String? {
        disabledPlugins.withLock { $0[name] }
    }

    /// Turns a disabled plugin back on; false if it was not disabled.
    @discardableResult
    public func enable(_ name: String) -> Bool {
        let (removed, remaining) = disabledPlugins.withLock { disabled -> (Bool, [String: String]) in
            (disabled.removeValue(forKey: name) != nil, disabled)
        }
        if removed { writeDisabled(remaining) }
        return removed
    }

    private static func readDisabled(_ path: String?) -> [String: String] {
        guard let path, let bytes = try? FileSystem.readFile(path, limit: 1 << 20) else { return [:] }
        var disabled: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2 { disabled[parts[0]] = parts[1] }
        }
        return disabled
    }

    private func writeDisabled(_ disabled: [String: String]) {
        guard let disabledFile else { return }
        let text = disabled.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        try? FileSystem.writeFileAtomically(disabledFile, Array(text.utf8))
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
                    // The file as loaded: stat first, so a change during the load shows later.
                    let file = (try? FileSystem.status(path)).flatMap { $0 }
                    let plugin = try PluginLoader.load(path, configuration: configuration(name), log: log)
                    plugin.journal.withLock { $0 = journal }
                    if let existing = self.plugin(named: plugin.name) {
                        entry = Entry(path: path, plugin: nil, error: "a plugin named \(plugin.name) is already loaded from \(existing.path)")
                    } else {
                        entry = Entry(path: path, plugin: plugin, error: nil, loadedFile: file)
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
