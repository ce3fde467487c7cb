import Posix

/// The environment of a daemon started in a sandbox: this process's, with
/// HOME and the XDG folders moved into one folder, so that the daemon keeps
/// its job database, key file and images there and never in the real home.
public enum Sandbox {
    /// The variables that would point a daemon outside the sandbox (a real
    /// key, upstream, socket or runtime folder): never passed on.
    static let escapes = ["VISIONCRAFT_API_KEY", "VISIONCRAFT_SOCKET", "VISIONCRAFT_UPSTREAM", "XDG_RUNTIME_DIR"]

    /// This process's environment with `home` as HOME, `home/state` and
    /// `home/config` as the XDG state and configuration folders, and in a
    /// sanitizer run what `SanitizedRun.environment` sets; `extra` last.
    public static func environment(home: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessEnvironment.variables()
        environment["HOME"] = home
        environment["XDG_STATE_HOME"] = home + "/state"
        environment["XDG_CONFIG_HOME"] = home + "/config"
        for name in escapes { environment.removeValue(forKey: name) }
        environment.merge(SanitizedRun.environment) { _, sanitizer in sanitizer }
        for (name, value) in extra { environment[name] = value }
        return environment
    }
}
