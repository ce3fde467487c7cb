import Harness

/// This process's environment with HOME and the XDG folders moved into
/// `folder` (`Sandbox.environment`), so that a daemon a test starts keeps its
/// job database, key file and images there and never in the real home.
public func isolatedEnvironment(in folder: TemporaryDirectory, extra: [String: String] = [:]) -> [String: String] {
    Sandbox.environment(home: folder.path, extra: extra)
}

/// The same, with `home` as the folder.
public func isolatedEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
    Sandbox.environment(home: home, extra: extra)
}
