/// Reading an option or argument through its declaration: the value a
/// command reads is the one it declared, so a misspelt name does not
/// compile (a string key would read nothing and say nothing).
extension ParsedArguments {
    /// True if the flag `option` was given.
    package func flag(_ option: Option) -> Bool { flag(option.long) }

    /// The value of `option` (the last one, if given several times).
    package func value(_ option: Option) -> String? { value(option.long) }

    /// Every value of a repeatable option, in order.
    package func values(_ option: Option) -> [String] { values(option.long) }

    /// `option` as an integer, optionally within `range`.
    package func int(_ option: Option, in range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? { try int(option.long, in: range) }

    /// `option` as a number, optionally within `range`.
    package func double(_ option: Option, in range: ClosedRange<Double>? = nil) throws(UsageError) -> Double? {
        try double(option.long, in: range)
    }

    /// `option` as one of `choices`.
    package func choice(_ option: Option, from choices: [String]) throws(UsageError) -> String? { try choice(option.long, from: choices) }

    /// A positional argument's value.
    package func argument(_ argument: Argument) -> String? { self.argument(argument.name) }

    /// A variadic argument's values.
    package func arguments(_ argument: Argument) -> [String] { arguments(argument.name) }
}
