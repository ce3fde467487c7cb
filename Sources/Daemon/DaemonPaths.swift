import Posix

/// Where the daemon keeps its files (XDG base directories).
struct DaemonPaths: Sendable, Equatable {
    /// The job database's folder: `--state-dir`, `$XDG_STATE_HOME/visioncraft`,
    /// `~/.local/state/visioncraft`.
    let stateDirectory: String
    /// The key file's folder: `$XDG_CONFIG_HOME/visioncraft`, `~/.config/visioncraft`.
    let configDirectory: String
    /// Images: `--output-dir`, `~/Pictures/visioncraft`.
    let outputDirectory: String
    /// Plugins: `$XDG_DATA_HOME/visioncraft/plugins`, `~/.local/share/visioncraft/plugins`.
    let pluginDirectory: String

    var database: String { "\(stateDirectory)/jobs.sqlite3" }
    var keyFile: String { "\(configDirectory)/key" }
    /// The embedded emulator's last port.
    var emulatorPortFile: String { "\(stateDirectory)/emulator.port" }

    static func resolve(options: DaemonOptions, environment: (String) -> String?) throws(DaemonError) -> DaemonPaths {
        let home = environment("HOME").flatMap { $0.hasPrefix("/") ? $0 : nil }
        func base(_ variable: String, _ fallback: String) throws(DaemonError) -> String {
            if let value = environment(variable), value.hasPrefix("/") { return value }
            guard let home else {
                throw DaemonError(.configuration, "neither \(variable) nor HOME is set to an absolute path: cannot tell where to keep files")
            }
            return "\(home)/\(fallback)"
        }
        func absolute(_ path: String?, _ flag: String) throws(DaemonError) -> String? {
            guard let path else { return nil }
            guard path.hasPrefix("/") else { throw DaemonError(.configuration, "\(flag) \(path): expected an absolute path") }
            return path
        }
        let state: String
        if let flag = try absolute(options.stateDirectory, "--state-dir") {
            state = flag
        } else {
            state = "\(try base("XDG_STATE_HOME", ".local/state"))/visioncraft"
        }
        let config = "\(try base("XDG_CONFIG_HOME", ".config"))/visioncraft"
        let output: String
        if let flag = try absolute(options.outputDirectory, "--output-dir") {
            output = flag
        } else if let home {
            output = "\(home)/Pictures/visioncraft"
        } else {
            throw DaemonError(.configuration, "HOME is not set: give --output-dir")
        }
        let plugins = "\(try base("XDG_DATA_HOME", ".local/share"))/visioncraft/plugins"
        return DaemonPaths(stateDirectory: state, configDirectory: config, outputDirectory: output, pluginDirectory: plugins)
    }
}
