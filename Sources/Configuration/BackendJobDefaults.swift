import Jobs

/// What a `[backends.NAME]` section says its jobs get when they name none:
/// its own `model`, `sampler`, `steps` and `cfg_scale`, over `jobs.*` (a
/// ComfyUI checkpoint is no AUTOMATIC1111 model: one `jobs.model` cannot
/// serve both). A reload applies them to jobs submitted from then on.
public struct BackendJobDefaults: Sendable, Equatable {
    public var model: String?
    public var sampler: String?
    public var steps: Int?
    public var cfgScale: Double?

    public init(model: String? = nil, sampler: String? = nil, steps: Int? = nil, cfgScale: Double? = nil) {
        self.model = model
        self.sampler = sampler
        self.steps = steps
        self.cfgScale = cfgScale
    }

    /// The keys, each with the `jobs.*` key it stands in for and what it
    /// takes: the job model's widest range (the backend's rules narrow it
    /// at submit, as for `jobs.*`).
    public static let keys: [(name: String, jobsKey: String, kind: Settings.Kind)] = [
        ("model", "jobs.model", .text), ("sampler", "jobs.sampler", .text),
        ("steps", "jobs.steps", .integer(JobField.steps.integerRange ?? 1...1)),
        ("cfg_scale", "jobs.cfg_scale", .number(JobField.guidanceRange)),
    ]

    /// Sets `key` (one of `keys`) to `value`, checked.
    ///
    /// - Throws: `KeyProblem` saying what the key takes.
    mutating func set(_ key: String, _ value: ConfigFile.Value) throws(KeyProblem) {
        guard let kind = Self.keys.first(where: { $0.name == key })?.kind else { throw KeyProblem("unknown key") }
        switch (key, try kind.check(value)) {
        case ("model", .string(let text)): model = text
        case ("sampler", .string(let text)): sampler = text
        case ("steps", .integer(let number)): steps = number
        case ("cfg_scale", .number(let number)): cfgScale = number
        default: throw KeyProblem("unexpected value \(value)")
        }
    }

    /// The names of the keys whose value differs in `other`.
    func changedKeys(comparedWith other: BackendJobDefaults) -> [String] {
        var changed: [String] = []
        if model != other.model { changed.append("model") }
        if sampler != other.sampler { changed.append("sampler") }
        if steps != other.steps { changed.append("steps") }
        if cfgScale != other.cfgScale { changed.append("cfg_scale") }
        return changed
    }
}
