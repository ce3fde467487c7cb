import Posix

/// Where `config.toml` is, reading it, and changing one key in place.
public enum SettingsFile {
    /// `$XDG_CONFIG_HOME/visioncraft/config.toml`, else
    /// `~/.config/visioncraft/config.toml`.
    public static func defaultPath(environment: (String) -> String?) -> String? {
        if let base = environment("XDG_CONFIG_HOME"), base.hasPrefix("/") { return base + "/visioncraft/config.toml" }
        if let home = environment("HOME"), home.hasPrefix("/") { return home + "/.config/visioncraft/config.toml" }
        return nil
    }

    /// The settings in `path`; the defaults when there is no file.
    public static func load(_ path: String) throws(ConfigError) -> Settings {
        try loadWithFile(path).settings
    }

    /// The settings in `path` and the file they came from (nil when there
    /// is none), which tells a key the file sets from one left at its
    /// default.
    public static func loadWithFile(_ path: String) throws(ConfigError) -> (settings: Settings, file: ConfigFile?) {
        guard let text = try read(path) else { return (Settings(), nil) }
        do {
            let file = try ConfigFile(parsing: text)
            return (try Settings(file: file), file)
        } catch {
            var located = error
            located.path = path
            throw located
        }
    }

    /// Sets `key` to `value` (written as in the file: `"text"`, `3`, `true`,
    /// `["a"]`) in `path`, keeping every other line and comment, after
    /// checking that the result is a valid configuration.
    public static func set(_ key: String, to value: String, in path: String) throws(ConfigError) {
        guard let known = ConfigKey(named: key) else {
            throw ConfigError(key: key, "unknown key (vcctl config keys lists them)")
        }
        let (section, name) = (known.section, known.entryName)
        let text = try read(path) ?? ""
        var lines = ConfigFile.lines(of: text)
        if lines.last == "" { lines.removeLast() }
        let file = try ConfigFile(parsing: text)
        let line = "\(name) = \(value)"
        if let existing = file.entry(known.name) {
            lines[existing.line - 1] = line
        } else if let header = lines.firstIndex(where: { $0.trimmed == "[\(section)]" }) {
            var insert = header + 1
            while insert < lines.count, !lines[insert].trimmed.hasPrefix("[") { insert += 1 }
            while insert > header + 1, lines[insert - 1].trimmed.isEmpty { insert -= 1 }
            lines.insert(line, at: insert)
        } else {
            if let last = lines.last, !last.trimmed.isEmpty { lines.append("") }
            lines += ["[\(section)]", line]
        }
        let updated = lines.joined(separator: "\n") + "\n"
        do {
            _ = try Settings(file: try ConfigFile(parsing: updated))
        } catch {
            throw ConfigError(key: key, error.message)
        }
        try write(updated, to: path)
    }

    // MARK: Files (no Foundation, no Posix module: vcctl links this)

    private static func read(_ path: String) throws(ConfigError) -> String? {
        // Close-on-exec: the daemon reads it again on SIGHUP, while a plugin may be starting a command.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, let file = fdopen(fd, "rb") else {
            let code = errno
            if fd >= 0 { close(fd) }
            if code == ENOENT { return nil }
            throw ConfigError("\(path): cannot be read (\(String(cString: strerror(code))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer.prefix(count)
            if bytes.count > 1 << 20 { throw ConfigError("\(path) is larger than 1 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes atomically (a temporary file, then rename), creating the folder.
    private static func write(_ text: String, to path: String) throws(ConfigError) {
        var folder = path
        while let last = folder.last, last != "/" { folder.removeLast() }
        if folder.count > 1 { folder.removeLast() }
        var partial = ""
        for component in folder.split(separator: "/") {
            partial += "/" + component
            mkdir(partial, 0o700)
        }
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else { throw ConfigError("\(path): cannot be written (\(String(cString: strerror(errno))))") }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written == bytes.count, flushed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ConfigError("\(path): cannot be written (\(String(cString: strerror(errno))))")
        }
    }
}
