import Posix

/// This process's environment with HOME and the XDG folders moved into
/// `folder`, so that a daemon a test starts keeps its job database, key file
/// and images there and never in the real home. In a sanitizer run, what
/// `SanitizedRun.environment` sets.
public func isolatedEnvironment(in folder: TemporaryDirectory, extra: [String: String] = [:]) -> [String: String] {
    isolatedEnvironment(home: folder.path, extra: extra)
}

/// The same, with `home` as the folder.
public func isolatedEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessEnvironment.variables()
    environment["HOME"] = home
    environment["XDG_STATE_HOME"] = home + "/state"
    environment["XDG_CONFIG_HOME"] = home + "/config"
    environment.removeValue(forKey: "XDG_RUNTIME_DIR")
    environment.removeValue(forKey: "VISIONCRAFT_API_KEY")
    environment.removeValue(forKey: "VISIONCRAFT_UPSTREAM")
    environment.removeValue(forKey: "VISIONCRAFT_SOCKET")
    environment.merge(SanitizedRun.environment) { _, sanitizer in sanitizer }
    for (name, value) in extra { environment[name] = value }
    return environment
}
