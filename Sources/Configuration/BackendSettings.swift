import Jobs

/// One `[backends.NAME]` section of `config.toml`: a backend the daemon runs
/// jobs on, besides (or instead of) the one `upstream.url` names.
///
/// ```toml
/// default_backend = "forge"
/// [backends.forge]
/// kind = "a1111"
/// url = "http://gpu-box:7860"
/// ```
public struct BackendSettings: Sendable, Equatable {
    /// The kinds of service this daemon speaks to.
    public enum Kind: String, Sendable, CaseIterable {
        /// The VisionCraft API (or, with `url = "emulator"`, the embedded emulator).
        case visioncraft
        /// AUTOMATIC1111, Forge, SD.Next and stable-diffusion.cpp's `/sdapi`.
        case a1111
        /// ComfyUI: its default graphs, followed through its queue and history.
        case comfyui
        /// The OpenAI images API, and the servers with its shape
        /// (stable-diffusion.cpp's `sd-server`, LocalAI).
        case openai
    }

    /// The name jobs give it (`vcctl submit --backend NAME`): the section's.
    public var name: String
    public var kind: Kind
    /// Its base URL (http or https), or `emulator`: the emulator of its
    /// kind, served inside the daemon.
    public var url: String
    /// Requests it is sent at once; nil: its kind's default.
    public var maxInFlight: Int?
    /// Generations started per minute; nil: `queue.requests_per_minute`.
    public var requestsPerMinute: Int?
    /// The most images it makes in a local day and in a month.
    public var caps: ImageCaps
    /// Its own `queue.max_attempts` and `queue.retry_base`; nil: the queue's.
    public var maxAttempts: Int?
    public var retryBase: Double?
    /// The workflow file (absolute) its jobs run, for a comfyui backend;
    /// nil: the built-in graphs.
    public var workflow: String?
    /// The line that names it, for messages.
    public var workflowLine: Int
    /// What its jobs get when they name none, over `jobs.*`.
    public var jobDefaults: BackendJobDefaults
    /// The line of its section header, for messages.
    public var line: Int

    public init(
        name: String, kind: Kind, url: String, maxInFlight: Int? = nil, requestsPerMinute: Int? = nil, caps: ImageCaps = ImageCaps(),
        maxAttempts: Int? = nil, retryBase: Double? = nil, workflow: String? = nil, workflowLine: Int = 0, jobDefaults: BackendJobDefaults = BackendJobDefaults(), line: Int = 0
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.maxInFlight = maxInFlight
        self.requestsPerMinute = requestsPerMinute
        self.caps = caps
        self.maxAttempts = maxAttempts
        self.retryBase = retryBase
        self.workflow = workflow
        self.workflowLine = workflowLine
        self.jobDefaults = jobDefaults
        self.line = line
    }

    /// The same backend wherever its section stands in the file.
    public var withoutLine: BackendSettings {
        var moved = self
        moved.line = 0
        moved.workflowLine = 0
        return moved
    }

    /// What a restart applies: all but its job defaults, which a reload
    /// applies (`liveKeys`).
    public var restartPart: BackendSettings {
        var part = withoutLine
        part.jobDefaults = BackendJobDefaults()
        return part
    }

    /// `backends.NAME.KEY` for each job default whose value differs in
    /// `other` (the same backend after a reload).
    public func changedJobDefaults(comparedWith other: BackendSettings) -> [String] {
        jobDefaults.changedKeys(comparedWith: other.jobDefaults).map { "\(Self.section).\(name).\($0)" }
    }

    /// Whether `key` (`backends.NAME.KEY`) is one a reload applies.
    public static func isLiveKey(_ key: String) -> Bool {
        let parts = key.split(separator: ".")
        return parts.count == 3 && parts[0] == section && BackendJobDefaults.keys.contains { $0.name == parts[2] }
    }

    /// The section that holds the backends (`[backends.NAME]`).
    public static let section = "backends"
    /// The top-level key that names the default backend.
    public static let defaultKey = "default_backend"
    /// The keys a backend's section takes, with one line of doc each.
    public static let keys: [(name: String, doc: String)] = [
        ("kind", "the kind of service: " + Kind.allCases.map(\.rawValue).joined(separator: ", ")),
        ("url", "its base URL (http or https), or \"emulator\" for its kind's emulator inside the daemon"),
        ("max_in_flight", "requests it is sent at once (1 to 16; default: its kind's: 1, but queue.max_in_flight for visioncraft)"),
        ("requests_per_minute", "generations started per minute, 0 for no limit (default: queue.requests_per_minute)"),
        ("daily_images", "the most images it makes in one local day: then its jobs wait until midnight (default: no cap)"),
        ("monthly_images", "the most images it makes in one calendar month: then its jobs wait until the 1st (default: no cap)"),
        ("max_attempts", "its transient failures before a job fails (default: queue.max_attempts)"),
        ("retry_base", "seconds: its first retry's longest wait (default: queue.retry_base)"),
        ("workflow", "comfyui only: the workflow file (API format, an absolute path) its jobs run (default: the built-in graphs)"),
    ] + BackendJobDefaults.keys.map { ($0.name, "what its jobs that give none get, over \($0.jobsKey)") }
    /// The kinds that run workflows (`workflow`).
    public static let workflowKinds: Set<Kind> = [.comfyui]
    /// The longest backend name, in bytes (`JobField.backend`'s limit).
    public static let maximumNameBytes = 64
    /// The name the one backend gets when the file configures none.
    public static let implicitName = JobField.implicitBackend

    /// Reads the `[backends.*]` sections and `default_backend` of `file`:
    /// the backends in file order, and the default's name (nil when no
    /// backend is configured).
    static func read(_ file: ConfigFile) throws(ConfigError) -> (backends: [BackendSettings], defaultName: String?) {
        var sections: [(name: String, line: Int, entries: [ConfigFile.Entry])] = []
        var defaultEntry: ConfigFile.Entry?
        for entry in file.entries {
            if entry.section.isEmpty, entry.key == defaultKey {
                defaultEntry = entry
                continue
            }
            guard entry.section.hasPrefix(section + ".") else { continue }
            let name = String(entry.section.dropFirst(section.count + 1))
            if let index = sections.firstIndex(where: { $0.name == name }) {
                sections[index].entries.append(entry)
            } else {
                sections.append((name, entry.line, [entry]))
            }
        }
        var backends: [BackendSettings] = []
        for (name, line, entries) in sections {
            guard !name.contains("."), name.utf8.count <= maximumNameBytes else {
                throw ConfigError(line: line, key: "\(section).\(name)", "a backend's name is one word of at most \(maximumNameBytes) bytes")
            }
            backends.append(try backend(name, entries))
        }
        guard let defaultEntry else {
            if backends.count > 1 {
                throw ConfigError(
                    key: defaultKey, "several backends are configured (\(backends.map(\.name).joined(separator: ", "))): name the default one (default_backend = \"NAME\")"
                )
            }
            return (backends, backends.first?.name)
        }
        guard case .string(let named) = defaultEntry.value, !named.isEmpty else {
            throw ConfigError(line: defaultEntry.line, key: defaultKey, "expected a backend's name in double quotes, got \(defaultEntry.value)")
        }
        let known = backends.isEmpty ? [implicitName] : backends.map(\.name)
        guard known.contains(named) else {
            throw ConfigError(line: defaultEntry.line, key: defaultKey, "no backend is named '\(named)' (configured: \(known.joined(separator: ", ")))")
        }
        return (backends, backends.isEmpty ? nil : named)
    }

    /// One backend from the entries of its section.
    private static func backend(_ name: String, _ entries: [ConfigFile.Entry]) throws(ConfigError) -> BackendSettings {
        let header = "\(section).\(name)"
        var kind: Kind?
        var url: String?
        var maxInFlight: Int?
        var requestsPerMinute: Int?
        var caps = ImageCaps()
        var maxAttempts: Int?
        var retryBase: Double?
        var workflow: (path: String, line: Int)?
        var jobDefaults = BackendJobDefaults()
        // The queue's own ranges, written once in Settings.keys.
        func settingsKind(_ name: String) -> Settings.Kind? { Settings.key("queue.\(name)")?.kind }
        for entry in entries {
            func refuse(_ message: String) -> ConfigError { ConfigError(line: entry.line, key: entry.name, message) }
            switch (entry.key, entry.value) {
            case ("kind", .string(let text)):
                guard let known = Kind(rawValue: text) else {
                    throw refuse("unknown kind '\(text)' (kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                kind = known
            case ("url", .string(let text)):
                url = text
            case ("max_in_flight", .integer(let number)) where (1...16).contains(number):
                maxInFlight = number
            case ("requests_per_minute", .integer(let number)) where (0...100_000).contains(number):
                requestsPerMinute = number
            case ("daily_images", .integer(let number)) where ImageCaps.range.contains(number):
                caps.daily = number
            case ("monthly_images", .integer(let number)) where ImageCaps.range.contains(number):
                caps.monthly = number
            case ("kind", _), ("url", _):
                throw refuse("expected a string in double quotes, got \(entry.value)")
            case ("max_in_flight", _):
                throw refuse("expected a whole number from 1 to 16, got \(entry.value)")
            case ("requests_per_minute", _):
                throw refuse("expected a whole number from 0 to 100000, got \(entry.value)")
            case ("max_attempts", _), ("retry_base", _):
                guard let kind = settingsKind(entry.key) else { throw refuse("unknown key") }
                let value: ConfigFile.Value
                do throws(KeyProblem) {
                    value = try kind.check(entry.value)
                } catch {
                    throw refuse(error.message)
                }
                switch value {
                case .integer(let number): maxAttempts = number
                case .number(let number): retryBase = number
                default: throw refuse("expected a number, got \(entry.value)")
                }
            case ("workflow", _):
                do throws(KeyProblem) {
                    guard case .string(let path) = try Settings.Kind.path.check(entry.value) else { throw KeyProblem("expected a path") }
                    workflow = (path, entry.line)
                } catch {
                    throw refuse(error.message)
                }
            case (let key, let value) where BackendJobDefaults.keys.contains(where: { $0.name == key }):
                do throws(KeyProblem) {
                    try jobDefaults.set(key, value)
                } catch {
                    throw refuse(error.message)
                }
            case ("daily_images", _), ("monthly_images", _):
                throw refuse("expected a whole number from \(ImageCaps.range.lowerBound) to \(ImageCaps.range.upperBound), got \(entry.value)")
            default:
                throw refuse("unknown key (keys of [\(header)]: \(keys.map(\.name).joined(separator: ", ")))")
            }
        }
        let line = entries.first?.line ?? 0
        guard let kind else { throw ConfigError(line: line, key: header, "says no kind (kind = \"\(Kind.allCases.map(\.rawValue).joined(separator: "\" or \""))\")") }
        guard let url else { throw ConfigError(line: line, key: header, "says no url (url = \"http://host:port\")") }
        if let workflow, !workflowKinds.contains(kind) {
            throw ConfigError(
                line: workflow.line, key: "\(header).workflow",
                "a backend of kind \(kind.rawValue) runs no workflow (workflow is for kind \(workflowKinds.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
        let isHTTP = url.hasPrefix("http://") || url.hasPrefix("https://")
        guard isHTTP || url == "emulator" else {
            let entry = entries.first { $0.key == "url" }
            throw ConfigError(line: entry?.line ?? line, key: "\(header).url", "expected an http:// or https:// URL or \"emulator\", got \"\(url)\"")
        }
        return BackendSettings(
            name: name, kind: kind, url: url, maxInFlight: maxInFlight, requestsPerMinute: requestsPerMinute, caps: caps, maxAttempts: maxAttempts,
            retryBase: retryBase, workflow: workflow?.path, workflowLine: workflow?.line ?? 0, jobDefaults: jobDefaults, line: line
        )
    }
}
