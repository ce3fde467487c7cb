import Posix
import Synchronization

/// A note on disk for every hook call under way, so that after a crash the
/// next start knows which plugin was running: a file per call in `folder`
/// (its plugin and hook), removed when the call returns. The process's page
/// cache keeps it through a crash of the process; no fsync is needed.
public final class PluginCallJournal: Sendable {
    public let folder: String
    private let counter = Atomic<UInt64>(0)

    public init(folder: String) throws(SystemError) {
        self.folder = folder
        try FileSystem.makeDirectories(folder, permissions: 0o700)
    }

    /// Notes a call; returns the note's path (nil if it could not be written:
    /// the call goes ahead, unjournaled).
    func begin(plugin: String, hook: PluginHook) -> String? {
        let path = "\(folder)/\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let text = Array("\(plugin)\n\(hook.rawValue)\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }

    func end(_ note: String?) {
        if let note { unlink(note) }
    }

    /// What a previous process left: the calls it died in, and the fatal
    /// signal it died of if it recorded one (none: it was killed, SIGKILL
    /// from a person, a service manager or the kernel's OOM killer).
    public struct Leftovers: Sendable {
        public var calls: [(plugin: String, hook: String)] = []
        public var fatalSignal: Int32?
    }

    /// Where `recordFatalSignals()` notes a crash.
    var fatalSignalFile: String { "\(folder)/fatal-signal" }

    /// Makes a crash of this process (a fatal signal) leave its number in the
    /// folder, for `takeLeftovers()` after the restart. Call once, from the
    /// process that runs the hooks.
    public func recordFatalSignals() throws(SystemError) {
        try Signals.recordFatalSignals(inFile: fatalSignalFile)
    }

    /// What a previous process left unfinished (it died in these calls), read
    /// and removed. Call once at start, before any hook runs.
    public func takeLeftovers() -> Leftovers {
        var leftovers = Leftovers()
        if let bytes = try? FileSystem.readFile(fatalSignalFile, limit: 64) {
            leftovers.fatalSignal = Int32(String(decoding: bytes, as: UTF8.self).filter(\.isNumber)) ?? 0
            unlink(fatalSignalFile)
        }
        guard let names = try? FileSystem.contentsOfDirectory(folder) else { return leftovers }
        for name in names where name != "fatal-signal" {
            let path = "\(folder)/\(name)"
            if let bytes = try? FileSystem.readFile(path, limit: 4096) {
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
                if lines.count >= 2 { leftovers.calls.append((lines[0], lines[1])) }
            }
            unlink(path)
        }
        return leftovers
    }
}
