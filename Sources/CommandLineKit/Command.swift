/// A command of a command-line tool: a leaf that runs, or a group whose
/// subcommands run (a group's `run` is never called: a group invoked alone
/// prints its help and exits with a usage error).
///
/// Parsing happens in three steps, as in swift-argument-parser: the tool
/// parses the arguments against `configuration`, `init(_:)` reads and checks
/// the typed values (throw `UsageError` for bad ones), then `run` does the work.
package protocol Command {
    /// The word that runs the command (`status`), or the program's name at
    /// the root. Apart from `configuration` so that finding the command a
    /// word names builds nothing else: a tool that runs one command of
    /// twenty sets up only that one's options.
    static var name: String { get }
    /// The command's options, arguments and subcommands.
    static var configuration: CommandConfiguration { get }
    /// Reads typed values from the parsed arguments.
    ///
    /// - Throws: `UsageError` when a value is malformed or out of range.
    init(_ arguments: ParsedArguments) throws
    /// Runs the command.
    ///
    /// - Throws: `CommandFailure` for failures with their own exit code and
    ///   message; `UsageError`; anything else exits 1 with its description.
    func run(_ context: CommandContext) throws -> ExitCode
}

/// What a command is besides its name: help texts, options, arguments, subcommands.
package struct CommandConfiguration: @unchecked Sendable {
    // `subcommands` holds metatypes, which are immutable; the struct is
    // built once, statically.
    /// One line, shown in lists of commands and under the usage line.
    package var abstract: String
    /// Paragraphs shown in the command's help.
    package var discussion: String?
    package var options: [Option]
    package var arguments: [Argument]
    package var subcommands: [any Command.Type]
    /// Left out of help, completions and documentation checks (still runs):
    /// for helpers that completion scripts call.
    package var hidden: Bool

    package init(
        abstract: String,
        discussion: String? = nil,
        options: [Option] = [],
        arguments: [Argument] = [],
        subcommands: [any Command.Type] = [],
        hidden: Bool = false
    ) {
        self.hidden = hidden
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.subcommands = subcommands
    }

    /// True for a group of subcommands.
    package var isGroup: Bool { !subcommands.isEmpty }
}
