import Jobs

/// What `config.toml` may say, with every key's default: the daemon's
/// settings (flags still win over them) and the defaults of new jobs.
///
/// Each setting is declared once, in `keys`: its key, what it takes, its
/// default (the stored property's initial value), the `visioncraftd` flags
/// that set it, whether a reload applies it live, and a line of doc. The
/// daemon's flags and their help, the file reader, `vcctl config keys`, the
/// layering of the file under the flags and the manuals' tests all come
/// from that table.
public struct Settings: Sendable, Equatable {
    // [upstream]
    /// A base URL, or "emulator"; nil: VISIONCRAFT_UPSTREAM, else the documented host.
    public var upstream: String?
    public var tlsVerify = true
    public var caFile: String?
    public var connectTimeout = 10.0
    public var requestTimeout = 120.0
    public var stallTimeout = 30.0
    // [queue]
    public var maxInFlight = 2
    public var requestsPerMinute = 60
    public var maxAttempts = 8
    public var retryBase = 2.0
    // [jobs]
    /// nil: the backend's default (VisionCraft's anything_V5 and Euler;
    /// AUTOMATIC1111's loaded checkpoint and its own sampler).
    public var model: String?
    public var sampler: String?
    public var cfgScale: Double?
    public var steps: Int?
    public var imageCount = 1
    public var outputDir: String?
    // [plugins]
    public var pluginFolders: [String] = []
    public var pluginChain: [String] = []
    public var pluginTimeout = 60.0
    // [images]
    public var imageMemory = 1024
    public var maxInputMegapixels = 16
    public var maxOutputMegapixels = 64
    // [backends.NAME] and default_backend
    /// The backends the file configures, in its order; none: the one
    /// backend `upstream.url` names (`BackendSettings.implicitName`).
    public var backends: [BackendSettings] = []
    /// The backend of jobs that name none; nil when `backends` is empty.
    public var defaultBackend: String?

    public init() {}

    /// The environment variable that names the upstream (after the flags,
    /// before the file).
    public static let upstreamEnvironment = "VISIONCRAFT_UPSTREAM"

    /// Every key, in the order the manual lists them.
    public static let keys: [Key] = [
        Key("upstream.url", \.upstream, .text, "the VisionCraft API's base URL, or \"emulator\" for the embedded emulator",
            defaultText: "$\(upstreamEnvironment), else http://loplequ.domcloud.io", environment: upstreamEnvironment,
            flags: [
                Flag("upstream", valueName: "URL"),
                Flag("emulator", means: .string("emulator"), help: "Serve the embedded emulator on a loopback port and use it: no key, no network (same as --upstream emulator)."),
            ]),
        Key("upstream.tls_verify", \.tlsVerify, .boolean, "verify the upstream's TLS certificate",
            flags: [Flag("insecure", means: .boolean(false), help: "Do not verify the upstream's TLS certificate (logs a warning). For a service whose certificate is known to fail.")]),
        Key("upstream.ca_file", \.caFile, .path, "trust these certificates (PEM) instead of the system's", defaultText: "the system's",
            flags: [Flag("ca-file", valueName: "PATH")]),
        Key("upstream.connect_timeout", \.connectTimeout, .number(0.001...600), "seconds to connect", flags: [Flag("connect-timeout", valueName: "SECONDS")]),
        Key("upstream.request_timeout", \.requestTimeout, .number(0.001...86400), "seconds for one request in all",
            flags: [Flag("request-timeout", valueName: "SECONDS")]),
        Key("upstream.stall_timeout", \.stallTimeout, .number(1...3600), "seconds without a byte before a transfer is aborted",
            flags: [Flag("stall-timeout", valueName: "SECONDS")]),
        Key("queue.max_in_flight", \.maxInFlight, .integer(1...16), "upstream requests at once", flags: [Flag("max-in-flight", valueName: "N")]),
        Key("queue.requests_per_minute", \.requestsPerMinute, .integer(0...100_000), "generations started per minute; 0 for no limit",
            flags: [Flag("requests-per-minute", valueName: "N")]),
        Key("queue.max_attempts", \.maxAttempts, .integer(1...100), "transient failures before a job fails", flags: [Flag("max-attempts", valueName: "N")]),
        Key("queue.retry_base", \.retryBase, .number(0.01...600), "seconds: the first retry's longest wait (full jitter), doubling up to 5 minutes",
            flags: [Flag("retry-base", valueName: "SECONDS")]),
        Key("jobs.model", \.model, .text, "the model of jobs that name none", defaultText: "the backend's (VisionCraft: \(BackendRules.visionCraft.defaultModel ?? ""))", live: true),
        Key("jobs.sampler", \.sampler, .text, "the sampler of jobs that name none", defaultText: "the backend's (VisionCraft: \(BackendRules.visionCraft.defaultSampler ?? ""))", live: true),
        Key(
            "jobs.cfg_scale", \.cfgScale, .number(JobField.guidanceRange), "the CFG scale of jobs that give none",
            defaultText: "\(Int(BackendRules.visionCraft.textToImageDefaultGuidance)) (\(Int(BackendRules.visionCraft.imageToImageDefaultGuidance)) for image-to-image)", live: true
        ),
        // A default that text-to-image takes too, so within its steps.
        Key(
            "jobs.steps", \.steps, .integer(BackendRules.visionCraft.textToImageSteps), "the steps of jobs that give none",
            defaultText: "\(BackendRules.visionCraft.textToImageDefaultSteps) (\(BackendRules.visionCraft.imageToImageDefaultSteps) for image-to-image)", live: true
        ),
        Key("jobs.image_count", \.imageCount, .integer(JobField.imageCountRange), "images per job when vcctl submit has no -n", live: true),
        Key("jobs.output_dir", \.outputDir, .path, "where images go (an absolute folder; under it, one per day)", defaultText: "~/Pictures/visioncraft",
            live: true, flags: [Flag("output-dir", valueName: "PATH", help: "Save images under PATH/YYYY-MM-DD/ (default: ~/Pictures/visioncraft); jobs may name their own.")]),
        Key("plugins.folders", \.pluginFolders, .paths, "more folders to load plugins from"),
        Key("plugins.chain", \.pluginChain, .pluginSteps, "the plugin chain of jobs that name none", live: true),
        Key("plugins.timeout", \.pluginTimeout, .number(0.01...3600), "seconds one plugin hook may run before its step fails and the plugin is marked hung",
            flags: [Flag("plugin-timeout", valueName: "SECONDS")]),
        Key("images.memory_mb", \.imageMemory, .integer(16...(1 << 20)),
            "MiB of decoded images all jobs hold at once on their way through image plugins; more waits", flags: [Flag("image-memory", valueName: "MB")]),
        Key("images.max_input_megapixels", \.maxInputMegapixels, .integer(1...256),
            "the most pixels (in 2^20, 1024x1024) a downloaded image may have to go through image plugins",
            flags: [Flag("max-input-megapixels", valueName: "N")]),
        Key("images.max_output_megapixels", \.maxOutputMegapixels, .integer(1...1024), "the most pixels (in 2^20) an image plugin may return",
            flags: [Flag("max-output-megapixels", valueName: "N")]),
    ]

    /// A setting's seconds as a duration, to the millisecond.
    public static func duration(_ seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The key named `name`.
    public static func key(_ name: String) -> Key? {
        keys.first { $0.name == name }
    }

    /// The sections of `keys`, in their order.
    static var sections: [String] {
        var sections: [String] = []
        for key in keys where sections.last != key.section {
            sections.append(key.section)
        }
        return sections
    }

    /// The settings a file gives; every key checked, unknown ones refused.
    public init(file: ConfigFile) throws(ConfigError) {
        self.init()
        (backends, defaultBackend) = try BackendSettings.read(file)
        for entry in file.entries {
            if entry.section.hasPrefix(BackendSettings.section + ".") || (entry.section.isEmpty && entry.key == BackendSettings.defaultKey) {
                continue  // read above
            }
            guard let key = Self.key(entry.name) else {
                let close = Self.keys.filter { $0.section == entry.section }.map { String($0.name.dropFirst(entry.section.count + 1)) }
                let hint = close.isEmpty ? "sections: " + Self.sections.joined(separator: ", ") : "keys of [\(entry.section)]: \(close.joined(separator: ", "))"
                throw ConfigError(line: entry.line, key: entry.name, "unknown key (\(hint))")
            }
            do throws(KeyProblem) {
                try key.apply(entry.value, to: &self)
            } catch {
                throw ConfigError(line: entry.line, key: entry.name, error.message)
            }
        }
    }

    /// The value of `name` as the file would write it ("" when unset).
    public func value(of name: String) -> String? {
        Self.key(name).map { $0.value(in: self)?.description ?? "" }
    }
}

/// Why a value does not fit its key (the caller adds where it came from).
public struct KeyProblem: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
