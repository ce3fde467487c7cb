import NameMatching

/// The result of parsing: which options were given with which values, and
/// the positional arguments by name. Commands read them through their
/// declarations (`value(_: Option)`, in ParsedArguments+Declared.swift);
/// typed accessors throw `UsageError`s that name the option and the
/// expected form.
///
/// Small arrays on purpose, not dictionaries: a command line has a handful
/// of entries, and hashed collections would cost a static binary like vcctl
/// a runtime conformance lookup at start-up (see README, "Start-up").
package struct ParsedArguments: Sendable, Equatable {
    /// An option's or argument's name and its values. A struct, not a
    /// tuple: the runtime builds a tuple type's metadata from its mangled
    /// name at first use, a cost at every start.
    struct Entry: Sendable, Equatable {
        var name: String
        var values: [String]
    }

    /// The command's path: ["vcctl", "daemon", "start"].
    package let commandPath: [String]
    /// Option name and its values, in the order first given.
    var optionValues: [Entry]
    var flags: [String]
    /// Argument name and its values.
    var positionals: [Entry]

    init(
        commandPath: [String],
        optionValues: [Entry],
        flags: [String],
        positionals: [Entry]
    ) {
        self.commandPath = commandPath
        self.optionValues = optionValues
        self.flags = flags
        self.positionals = positionals
    }

    /// True if the flag `--long` was given.
    func flag(_ long: String) -> Bool {
        flags.contains(long)
    }

    /// The value of `--long` (the last one, if given several times).
    func value(_ long: String) -> String? {
        values(long).last
    }

    /// Every value of a repeatable option, in order.
    func values(_ long: String) -> [String] {
        optionValues.first { $0.name == long }?.values ?? []
    }

    /// A positional argument's value.
    func argument(_ name: String) -> String? {
        arguments(name).first
    }

    /// A variadic argument's values.
    func arguments(_ name: String) -> [String] {
        positionals.first { $0.name == name }?.values ?? []
    }

    /// `--long` as an integer, optionally within `range`.
    func int(_ long: String, in range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? {
        guard let text = value(long) else { return nil }
        guard let number = Int(text) else {
            throw UsageError("option '--\(long)' expects an integer\(Self.describe(range)), got '\(text)'")
        }
        if let range, !range.contains(number) {
            throw UsageError("option '--\(long)' expects an integer\(Self.describe(range)), got \(number)")
        }
        return number
    }

    /// `--long` as a number, optionally within `range`.
    func double(_ long: String, in range: ClosedRange<Double>? = nil) throws(UsageError) -> Double? {
        guard let text = value(long) else { return nil }
        guard let number = Double(text), number.isFinite else {
            throw UsageError("option '--\(long)' expects a number\(Self.describe(range)), got '\(text)'")
        }
        if let range, !range.contains(number) {
            throw UsageError("option '--\(long)' expects a number\(Self.describe(range)), got \(text)")
        }
        return number
    }

    /// `--long` as one of `choices`.
    func choice(_ long: String, from choices: [String]) throws(UsageError) -> String? {
        guard let text = value(long) else { return nil }
        guard choices.contains(text) else {
            var message = "option '--\(long)' expects one of \(choices.joined(separator: ", ")), got '\(text)'"
            if let close = Suggestions.closest(to: text, in: choices) { message += ". Did you mean '\(close)'?" }
            throw UsageError(message)
        }
        return text
    }

    private static func describe<T>(_ range: ClosedRange<T>?) -> String {
        range.map { " from \($0.lowerBound) to \($0.upperBound)" } ?? ""
    }
}
