import Posix
import Scheduler

/// One backend's API key: the only place the daemon keeps it. Sources, in
/// order: the key file written by `key.set` (0600), and for the implicit
/// backend (`visioncraft`) `VISIONCRAFT_API_KEY` at start and systemd's
/// `$CREDENTIALS_DIRECTORY/visioncraft-key`. The key is never logged,
/// returned or stored elsewhere; `status` shows its last four characters at
/// most. `KeyRing` holds one per backend.
final class KeyVault: Sendable {
    enum Source: String, Sendable {
        case file, environment, credential, emulator
    }

    private struct State {
        var key: String?
        var source: Source?
        var rejection: String?
    }

    let filePath: String
    private let state: Lock<State>
    /// The key used when the upstream is the embedded emulator and no key is
    /// set (the emulator accepts any).
    static let emulatorKey = "visioncraft-emulator"

    /// The environment variable read at start.
    static let environmentVariable = "VISIONCRAFT_API_KEY"

    /// What there is without the key file: the environment's key, the
    /// credential's, the emulator's (read at start).
    private let fallback: State

    /// Loads the key from the first source that has one; the environment
    /// and the credential only when `readsEnvironment`.
    init(filePath: String, environment: (String) -> String?, readsEnvironment: Bool = true, emulator: Bool, log: Logger) {
        self.filePath = filePath
        var fallback = State()
        if !readsEnvironment {
            if emulator { fallback = State(key: Self.emulatorKey, source: .emulator) }
        } else if let key = environment(Self.environmentVariable).map(Self.trimmed), !key.isEmpty {
            fallback = State(key: key, source: .environment)
        } else if let folder = environment("CREDENTIALS_DIRECTORY"),
            let bytes = try? FileSystem.readFile("\(folder)/visioncraft-key", limit: 4096),
            case let key = Self.trimmed(String(decoding: bytes, as: UTF8.self)), !key.isEmpty
        {
            fallback = State(key: key, source: .credential)
        } else if emulator {
            fallback = State(key: Self.emulatorKey, source: .emulator)
        }
        self.fallback = fallback
        var initial = fallback
        if let bytes = try? FileSystem.readFile(filePath, limit: 4096) {
            let key = Self.trimmed(String(decoding: bytes, as: UTF8.self))
            if Self.problem(with: key) == nil {
                initial = State(key: key, source: .file)
            } else {
                log.warning("ignoring \(filePath): it does not hold a usable key (vcctl key set replaces it)")
            }
            if let status = try? FileSystem.status(filePath), status.octalPermissions != "0600" {
                log.warning("\(filePath) has mode \(status.octalPermissions); it should be 0600 (chmod 600 \(filePath))")
            }
        }
        state = Lock(initial)
    }

    func usableKey() -> String? {
        state.withLock { $0.rejection == nil ? $0.key : nil }
    }

    func reject(_ key: String, reason: String) {
        state.withLock { state in
            guard state.key == key else { return }  // a newer key was set meanwhile
            state.rejection = reason
        }
    }

    /// Stores a new key (atomically, 0600, in a 0700 folder) and clears a
    /// rejection.
    func set(_ key: String) throws(KeyVaultError) {
        let key = Self.trimmed(key)
        if let problem = Self.problem(with: key) { throw KeyVaultError(problem, isStorage: false) }
        do {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: filePath), permissions: 0o700)
            try FileSystem.writeFileAtomically(filePath, Array((key + "\n").utf8), permissions: 0o600)
        } catch {
            throw KeyVaultError("cannot store the key in \(filePath): \(error)")
        }
        state.withLock { $0 = State(key: key, source: .file, rejection: nil) }
    }

    /// Deletes the key file; the key is then the environment's or the
    /// credential's if the daemon started with one, else missing.
    func clear() throws(KeyVaultError) {
        do {
            _ = try FileSystem.removeFile(filePath)
        } catch {
            throw KeyVaultError("cannot delete \(filePath): \(error)")
        }
        state.withLock { $0 = fallback }
    }

    /// What `key.status` shows.
    func status() -> (state: String, source: String?, masked: String?, reason: String?) {
        state.withLock { state in
            guard let key = state.key else { return ("missing", nil, nil, nil) }
            let masked = key.count >= 12 ? "..." + String(key.suffix(4)) : "..."
            return (state.rejection == nil ? "set" : "rejected", state.source?.rawValue, masked, state.rejection)
        }
    }

    private static func trimmed(_ text: String) -> String {
        var result = Substring(text)
        while let last = result.last, last == "\n" || last == "\r" || last == " " || last == "\t" { result.removeLast() }
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        return String(result)
    }

    /// Why `key` cannot be a key, or nil.
    static func problem(with key: String) -> String? {
        if key.isEmpty { return "the key is empty" }
        if key.utf8.count > 512 { return "the key is longer than 512 bytes" }
        if key.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            return "the key contains spaces or control characters"
        }
        return nil
    }
}

/// A key that cannot be stored, and why.
struct KeyVaultError: Error, Sendable, CustomStringConvertible {
    let description: String
    /// True when the file could not be written or removed (the disk, not
    /// the key, is at fault); false when the key itself is unusable.
    let isStorage: Bool

    init(_ description: String, isStorage: Bool = true) {
        self.description = description
        self.isStorage = isStorage
    }
}
