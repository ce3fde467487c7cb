import Jobs

extension Settings {
    /// What a key takes: the one place its type and range are written.
    public enum Kind: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case boolean
        /// A non-empty string.
        case text
        /// An absolute path.
        case path
        /// A list of absolute paths.
        case paths
        /// A list of non-empty strings.
        case texts
        /// A list of plugin steps as `--plugin` takes them, each read with
        /// the job model's reader (`PluginStep`), so that a chain a job
        /// could not run is refused where it is set.
        case pluginSteps

        /// `value` as this kind takes it (a whole number is a number too).
        func check(_ value: ConfigFile.Value) throws(KeyProblem) -> ConfigFile.Value {
            switch (self, value) {
            case (.integer(let range), .integer(let number)) where range.contains(number):
                return value
            case (.integer(let range), _):
                throw KeyProblem("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(value)")
            case (.number(let range), .integer(let whole)) where range.contains(Double(whole)):
                return .number(Double(whole))
            case (.number(let range), .number(let number)) where range.contains(number):
                return value
            case (.number(let range), _):
                throw KeyProblem("expected a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound)), got \(value)")
            case (.boolean, .boolean):
                return value
            case (.boolean, _):
                throw KeyProblem("expected true or false, got \(value)")
            case (.text, .string(let text)) where !text.isEmpty, (.path, .string(let text)) where text.hasPrefix("/"):
                return value
            case (.text, _):
                throw KeyProblem("expected a non-empty string in double quotes, got \(value)")
            case (.path, .string):
                throw KeyProblem("expected an absolute path, got \(value)")
            case (.path, _):
                throw KeyProblem("expected an absolute path in double quotes, got \(value)")
            case (.paths, .strings(let list)):
                if let item = list.first(where: { !$0.hasPrefix("/") }) { throw KeyProblem("expected absolute paths, got \"\(item)\"") }
                return value
            case (.texts, .strings(let list)):
                if list.contains(where: \.isEmpty) { throw KeyProblem("expected non-empty strings") }
                return value
            case (.pluginSteps, .strings(let list)):
                for text in list {
                    do {
                        _ = try PluginStep(parsing: text)
                    } catch {
                        throw KeyProblem("\(error)")
                    }
                }
                return value
            case (.paths, _), (.texts, _), (.pluginSteps, _):
                throw KeyProblem("expected an array of strings such as [\"a\", \"b\"], got \(value)")
            }
        }

        /// A flag's text as a value of this kind would be written.
        public func value(ofFlag text: String) -> ConfigFile.Value {
            switch self {
            case .integer: Int(text).map(ConfigFile.Value.integer) ?? .string(text)
            case .number: Double(text).map(ConfigFile.Value.number) ?? .string(text)
            case .boolean: text == "true" || text == "false" ? .boolean(text == "true") : .string(text)
            case .text, .path: .string(text)
            case .paths, .texts, .pluginSteps: .strings([text])
            }
        }

        /// `, 1 to 16` for a range (what a flag's help and `config keys` add).
        public var rangeText: String {
            switch self {
            case .integer(let range): ", \(range.lowerBound) to \(range.upperBound)"
            case .number(let range): ", \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))"
            default: ""
            }
        }

        static func text(_ number: Double) -> String {
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
    }

    /// A `visioncraftd` flag that sets a key (flags win over the file).
    public struct Flag: Sendable {
        /// The long name, without the dashes.
        public let name: String
        /// What the help shows for the value (`N`, `SECONDS`); nil for a
        /// flag that stands for a value of its own (`means`).
        public let valueName: String?
        /// The value a flag without one sets (`--insecure`: tls_verify false).
        public let means: ConfigFile.Value?
        /// The help, when more than the key's summary is worth saying.
        public let help: String?

        /// A flag that takes a value (`valueName`), or stands for `means`.
        init(_ name: String, valueName: String? = nil, means: ConfigFile.Value? = nil, help: String? = nil) {
            precondition((valueName == nil) != (means == nil), "--\(name): a flag takes a value or stands for one")
            self.name = name
            self.valueName = valueName
            self.means = means
            self.help = help
        }
    }

    /// One setting: its key, what it takes, its default, how to set it.
    public struct Key: Sendable {
        /// `section.name`.
        public let name: String
        public let kind: Kind
        /// One line of doc.
        public let summary: String
        /// The default as the file writes it, or in words where it depends
        /// on something.
        public let defaultText: String
        /// Whether `daemon reload` applies it to the running daemon (the
        /// rest need a restart).
        public let live: Bool
        /// The environment variable that names it too (after flags, before
        /// the file), if any.
        public let environment: String?
        /// The `visioncraftd` flags that set it.
        public let flags: [Flag]
        private let set: @Sendable (inout Settings, ConfigFile.Value) -> Void
        private let get: @Sendable (Settings) -> ConfigFile.Value?
        /// This key's value in `settings` copied from `source`.
        public let copy: @Sendable (inout Settings, Settings) -> Void

        init<Value: SettingValue>(
            _ name: String, _ path: WritableKeyPath<Settings, Value> & Sendable, _ kind: Kind, _ summary: String, defaultText: String? = nil,
            live: Bool = false, environment: String? = nil, flags: [Flag] = []
        ) {
            self.name = name
            self.kind = kind
            self.summary = summary
            self.defaultText = defaultText ?? Self.text(of: Settings()[keyPath: path].configValue)
            self.live = live
            self.environment = environment
            self.flags = flags
            set = { settings, value in settings[keyPath: path] = Value(checked: value) }
            get = { settings in settings[keyPath: path].configValue }
            copy = { settings, source in settings[keyPath: path] = source[keyPath: path] }
        }

        /// A default as the file writes it, a whole number without ".0".
        private static func text(of value: ConfigFile.Value?) -> String {
            if case .number(let number)? = value { return Kind.text(number) }
            return value?.description ?? ""
        }

        /// The section (`queue` of `queue.max_in_flight`).
        public var section: String { String(name.prefix { $0 != "." }) }

        /// Sets this key in `settings` from `value`, checked.
        public func apply(_ value: ConfigFile.Value, to settings: inout Settings) throws(KeyProblem) {
            set(&settings, try kind.check(value))
        }

        /// Sets this key from a flag's text (or the value the flag stands for).
        public func apply(flag: Flag, text: String?, to settings: inout Settings) throws(KeyProblem) {
            try apply(flag.means ?? kind.value(ofFlag: text ?? ""), to: &settings)
        }

        /// Its value in `settings`; nil when unset.
        public func value(in settings: Settings) -> ConfigFile.Value? {
            get(settings)
        }

        /// What `flag`'s help says.
        public func help(for flag: Flag) -> String {
            if let help = flag.help { return help }
            let first = summary.prefix(1).uppercased() + summary.dropFirst()
            return "\(first)\(kind.rangeText); default \(defaultText) (\(name) in the configuration file)."
        }
    }
}

/// A Swift type a key's value is stored as.
protocol SettingValue: Sendable {
    /// The value from one its kind has checked.
    init(checked value: ConfigFile.Value)
    /// As the file writes it; nil for unset.
    var configValue: ConfigFile.Value? { get }
}

extension Int: SettingValue {
    init(checked value: ConfigFile.Value) {
        guard case .integer(let number) = value else { preconditionFailure("checked as an integer: \(value)") }
        self = number
    }
    var configValue: ConfigFile.Value? { .integer(self) }
}

extension Double: SettingValue {
    init(checked value: ConfigFile.Value) {
        guard case .number(let number) = value else { preconditionFailure("checked as a number: \(value)") }
        self = number
    }
    var configValue: ConfigFile.Value? { .number(self) }
}

extension Bool: SettingValue {
    init(checked value: ConfigFile.Value) {
        guard case .boolean(let flag) = value else { preconditionFailure("checked as a boolean: \(value)") }
        self = flag
    }
    var configValue: ConfigFile.Value? { .boolean(self) }
}

extension String: SettingValue {
    init(checked value: ConfigFile.Value) {
        guard case .string(let text) = value else { preconditionFailure("checked as a string: \(value)") }
        self = text
    }
    var configValue: ConfigFile.Value? { .string(self) }
}

extension Array: SettingValue where Element == String {
    init(checked value: ConfigFile.Value) {
        guard case .strings(let list) = value else { preconditionFailure("checked as strings: \(value)") }
        self = list
    }
    var configValue: ConfigFile.Value? { .strings(self) }
}

extension Optional: SettingValue where Wrapped: SettingValue {
    init(checked value: ConfigFile.Value) {
        self = Wrapped(checked: value)
    }
    var configValue: ConfigFile.Value? { self?.configValue }
}
