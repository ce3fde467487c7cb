/// How a shell should complete a value.
package enum Completion: Sendable, Equatable {
    case none
    /// A file path.
    case file
    /// A folder path.
    case directory
    /// One of these words.
    case values([String])
    /// A list the tool provides at completion time (named, such as "models").
    case dynamic(String)
}

/// An option: `--long`, optionally `-s`; a flag, or one that takes a value.
package struct Option: Sendable, Equatable {
    /// The name without dashes: "socket" for `--socket`.
    package var long: String
    /// The one-letter form, if any.
    package var short: Character?
    /// The value's placeholder ("PATH"); nil for a flag.
    package var valueName: String?
    package var help: String
    /// May be given several times (all values are kept, in order). Other
    /// options given twice keep the last value.
    package var repeatable: Bool
    /// Declared on a parent command and valid on every subcommand, before or
    /// after the subcommand's name.
    package var inherited: Bool
    /// Left out of help (still parsed).
    package var hidden: Bool
    package var completion: Completion

    package init(
        long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        repeatable: Bool = false,
        inherited: Bool = false,
        hidden: Bool = false,
        completion: Completion = .none
    ) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.help = help
        self.repeatable = repeatable
        self.inherited = inherited
        self.hidden = hidden
        self.completion = completion
    }

    /// True when the option takes no value.
    package var isFlag: Bool { valueName == nil }

    /// How help shows it: "-n, --count N" or "--json".
    package var synopsis: String {
        var text = short.map { "-\($0), " } ?? ""
        text += "--\(long)"
        if let valueName { text += " \(valueName)" }
        return text
    }
}

/// A positional argument.
package struct Argument: Sendable, Equatable {
    /// Its placeholder in usage lines and the key in `ParsedArguments`: "PROMPT".
    package var name: String
    package var help: String
    package var optional: Bool
    /// Takes every remaining positional (must be last).
    package var variadic: Bool
    package var completion: Completion

    package init(name: String, help: String, optional: Bool = false, variadic: Bool = false, completion: Completion = .none) {
        self.name = name
        self.help = help
        self.optional = optional
        self.variadic = variadic
        self.completion = completion
    }

    /// How usage lines show it: "METHOD", "[PARAMS]", "FILE...".
    package var synopsis: String {
        let base = variadic ? "\(name)..." : name
        return optional ? "[\(base)]" : base
    }
}
