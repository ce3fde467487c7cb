import Jobs
import Scheduler

/// The API keys, one vault per backend, so that the key set for one backend
/// is never sent to another. The implicit backend (`visioncraft`) keeps the
/// key file and the sources it always had (`$XDG_CONFIG_HOME/visioncraft/key`,
/// `VISIONCRAFT_API_KEY`, the systemd credential); backend NAME's key is
/// the file `key-NAME` beside it.
final class KeyRing: APIKeySource {
    /// Each backend's vault, in the configuration's order.
    let vaults: [(name: String, vault: KeyVault)]
    /// Whose key `key.*` means when it names no backend.
    let defaultBackend: String

    /// - Parameters:
    ///   - backends: each backend's name and whether it is the embedded
    ///     emulator (which takes any key, so it has one without a file).
    ///   - keyFile: the implicit backend's key file.
    init(backends: [(name: String, emulator: Bool)], defaultBackend: String, keyFile: String, environment: (String) -> String?, log: Logger) {
        vaults = backends.map { backend in
            let implicit = backend.name == JobField.implicitBackend
            return (
                backend.name,
                KeyVault(
                    filePath: implicit ? keyFile : "\(keyFile)-\(backend.name)", environment: environment, readsEnvironment: implicit,
                    emulator: backend.emulator, log: log
                )
            )
        }
        self.defaultBackend = defaultBackend
    }

    /// The vault of backend `name` (the default backend's for nil); nil
    /// for a name the daemon does not run.
    func vault(for name: String?) -> KeyVault? {
        let name = name ?? defaultBackend
        return vaults.first { $0.name == name }?.vault
    }

    /// The names, for messages.
    var names: String { vaults.map(\.name).joined(separator: ", ") }

    func usableKey(for backend: String) -> String? {
        vault(for: backend)?.usableKey()
    }

    func reject(_ key: String, reason: String, for backend: String) {
        vault(for: backend)?.reject(key, reason: reason)
    }

    func hasRefusedKey(for backend: String) -> Bool {
        vault(for: backend)?.status().state == "rejected"
    }
}
