/// What `config.toml` may say, with every key's default: the daemon's
/// settings (flags still win over them) and the defaults of new jobs.
/// `man/visioncraft.conf.5` documents the same table; a test keeps them in step.
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
    public var model = "anything_V5"
    public var sampler = "Euler"
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
    /// What the [images] keys (and their flags) take.
    public static let imageMemoryRange = 16...(1 << 20)
    public static let maxInputMegapixelsRange = 1...256
    public static let maxOutputMegapixelsRange = 1...1024

    public init() {}

    /// One key: its name, what it takes, its default (as text), and how it
    /// is set.
    public struct Key: Sendable {
        public let name: String
        public let summary: String
        public let defaultText: String
        let apply: @Sendable (inout Settings, ConfigFile.Value) throws -> Void
        let read: @Sendable (Settings) -> String
    }

    /// Every key, in the order the manual lists them.
    public static let keys: [Key] = [
        Key(name: "upstream.url", summary: "the VisionCraft API's base URL, or \"emulator\"", defaultText: "$VISIONCRAFT_UPSTREAM, else http://loplequ.domcloud.io",
            apply: { $0.upstream = try text($1, absolute: false) }, read: { $0.upstream.map(ConfigFile.quote) ?? "" }),
        Key(name: "upstream.tls_verify", summary: "verify the upstream's TLS certificate", defaultText: "true",
            apply: { $0.tlsVerify = try boolean($1) }, read: { $0.tlsVerify ? "true" : "false" }),
        Key(name: "upstream.ca_file", summary: "trust these certificates (PEM) instead of the system's", defaultText: "the system's",
            apply: { $0.caFile = try text($1, absolute: true) }, read: { $0.caFile.map(ConfigFile.quote) ?? "" }),
        Key(name: "upstream.connect_timeout", summary: "seconds to connect", defaultText: "10",
            apply: { $0.connectTimeout = try number($1, 0.001...600) }, read: { String($0.connectTimeout) }),
        Key(name: "upstream.request_timeout", summary: "seconds for one request in all", defaultText: "120",
            apply: { $0.requestTimeout = try number($1, 0.001...86400) }, read: { String($0.requestTimeout) }),
        Key(name: "upstream.stall_timeout", summary: "seconds without a byte before a transfer is aborted", defaultText: "30",
            apply: { $0.stallTimeout = try number($1, 1...3600) }, read: { String($0.stallTimeout) }),
        Key(name: "queue.max_in_flight", summary: "upstream requests at once", defaultText: "2",
            apply: { $0.maxInFlight = try integer($1, 1...16) }, read: { String($0.maxInFlight) }),
        Key(name: "queue.requests_per_minute", summary: "generations started per minute; 0 for no limit", defaultText: "60",
            apply: { $0.requestsPerMinute = try integer($1, 0...100_000) }, read: { String($0.requestsPerMinute) }),
        Key(name: "queue.max_attempts", summary: "transient failures before a job fails", defaultText: "8",
            apply: { $0.maxAttempts = try integer($1, 1...100) }, read: { String($0.maxAttempts) }),
        Key(name: "queue.retry_base", summary: "seconds: the first retry's longest wait, doubling up to 5 minutes", defaultText: "2",
            apply: { $0.retryBase = try number($1, 0.01...600) }, read: { String($0.retryBase) }),
        Key(name: "jobs.model", summary: "the model of jobs that name none", defaultText: "\"anything_V5\"",
            apply: { $0.model = try text($1, absolute: false) }, read: { ConfigFile.quote($0.model) }),
        Key(name: "jobs.sampler", summary: "the sampler of jobs that name none", defaultText: "\"Euler\"",
            apply: { $0.sampler = try text($1, absolute: false) }, read: { ConfigFile.quote($0.sampler) }),
        Key(name: "jobs.cfg_scale", summary: "the CFG scale of jobs that give none, 0 to 20", defaultText: "10 (7 for image-to-image)",
            apply: { $0.cfgScale = try number($1, 0...20) }, read: { $0.cfgScale.map { String($0) } ?? "" }),
        Key(name: "jobs.steps", summary: "the steps of jobs that give none, 1 to 30", defaultText: "30 (50 for image-to-image)",
            apply: { $0.steps = try integer($1, 1...30) }, read: { $0.steps.map { String($0) } ?? "" }),
        Key(name: "jobs.image_count", summary: "images per job when vcctl submit has no -n, 1 to 100", defaultText: "1",
            apply: { $0.imageCount = try integer($1, 1...100) }, read: { String($0.imageCount) }),
        Key(name: "jobs.output_dir", summary: "where images go (an absolute folder)", defaultText: "~/Pictures/visioncraft",
            apply: { $0.outputDir = try text($1, absolute: true) }, read: { $0.outputDir.map(ConfigFile.quote) ?? "" }),
        Key(name: "plugins.folders", summary: "more folders to load plugins from", defaultText: "[]",
            apply: { $0.pluginFolders = try strings($1, absolute: true) }, read: { ConfigFile.Value.strings($0.pluginFolders).description }),
        Key(name: "plugins.chain", summary: "the plugin chain of jobs that name none", defaultText: "[]",
            apply: { $0.pluginChain = try strings($1, absolute: false) }, read: { ConfigFile.Value.strings($0.pluginChain).description }),
        Key(name: "plugins.timeout", summary: "seconds one plugin hook may run", defaultText: "60",
            apply: { $0.pluginTimeout = try number($1, 0.01...3600) }, read: { String($0.pluginTimeout) }),
        Key(name: "images.memory_mb", summary: "MiB of decoded images all jobs hold at once on their way through image plugins; more waits",
            defaultText: String(Settings().imageMemory),
            apply: { $0.imageMemory = try integer($1, imageMemoryRange) }, read: { String($0.imageMemory) }),
        Key(name: "images.max_input_megapixels", summary: "the most pixels (in 2^20) a downloaded image may have to go through image plugins",
            defaultText: String(Settings().maxInputMegapixels),
            apply: { $0.maxInputMegapixels = try integer($1, maxInputMegapixelsRange) }, read: { String($0.maxInputMegapixels) }),
        Key(name: "images.max_output_megapixels", summary: "the most pixels (in 2^20) an image plugin may return",
            defaultText: String(Settings().maxOutputMegapixels),
            apply: { $0.maxOutputMegapixels = try integer($1, maxOutputMegapixelsRange) }, read: { String($0.maxOutputMegapixels) }),
    ]

    /// The sections of `keys`, in their order.
    static var sections: [String] {
        var sections: [String] = []
        for key in keys {
            let section = String(key.name.prefix { $0 != "." })
            if sections.last != section { sections.append(section) }
        }
        return sections
    }

    /// The settings a file gives; every key checked, unknown ones refused.
    public init(file: ConfigFile) throws(ConfigError) {
        self.init()
        for entry in file.entries {
            guard let key = Self.keys.first(where: { $0.name == entry.name }) else {
                let close = Self.keys.map(\.name).filter { $0.hasPrefix(entry.section + ".") }.map { String($0.dropFirst(entry.section.count + 1)) }
                let hint = close.isEmpty ? "sections: " + Self.sections.joined(separator: ", ") : "keys of [\(entry.section)]: \(close.joined(separator: ", "))"
                throw ConfigError(line: entry.line, key: entry.name, "unknown key (\(hint))")
            }
            do {
                try key.apply(&self, entry.value)
            } catch let problem as KeyProblem {
                throw ConfigError(line: entry.line, key: entry.name, problem.message)
            } catch {
                throw ConfigError(line: entry.line, key: entry.name, "\(error)")
            }
        }
    }

    /// The value of `name` as the file would write it ("" when unset).
    public func value(of name: String) -> String? {
        Self.keys.first { $0.name == name }?.read(self)
    }

    // MARK: Checks

    private static func text(_ value: ConfigFile.Value, absolute: Bool) throws(KeyProblem) -> String {
        guard case .string(let text) = value, !text.isEmpty else { throw KeyProblem("expected a non-empty string in double quotes, got \(value)") }
        if absolute, !text.hasPrefix("/") { throw KeyProblem("expected an absolute path, got \(value)") }
        return text
    }

    private static func strings(_ value: ConfigFile.Value, absolute: Bool) throws(KeyProblem) -> [String] {
        guard case .strings(let list) = value else { throw KeyProblem("expected an array of strings such as [\"a\", \"b\"], got \(value)") }
        for item in list where item.isEmpty || (absolute && !item.hasPrefix("/")) {
            throw KeyProblem(absolute ? "expected absolute paths, got \"\(item)\"" : "expected non-empty strings")
        }
        return list
    }

    private static func boolean(_ value: ConfigFile.Value) throws(KeyProblem) -> Bool {
        guard case .boolean(let flag) = value else { throw KeyProblem("expected true or false, got \(value)") }
        return flag
    }

    private static func integer(_ value: ConfigFile.Value, _ range: ClosedRange<Int>) throws(KeyProblem) -> Int {
        guard case .integer(let number) = value, range.contains(number) else {
            throw KeyProblem("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return number
    }

    private static func number(_ value: ConfigFile.Value, _ range: ClosedRange<Double>) throws(KeyProblem) -> Double {
        let number: Double
        switch value {
        case .integer(let whole): number = Double(whole)
        case .number(let decimal): number = decimal
        default: throw KeyProblem("expected a number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        guard range.contains(number) else { throw KeyProblem("expected a number from \(range.lowerBound) to \(range.upperBound), got \(value)") }
        return number
    }
}

/// Why a value does not fit its key.
struct KeyProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
