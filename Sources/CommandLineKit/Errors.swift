/// The command line is wrong: unknown option, missing argument, bad value.
/// The tool prints the message and a hint to run `--help`, and exits 64.
package struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    /// The command the error is about (["vcctl", "daemon"]), for the hint;
    /// empty when thrown by a command's `init` (the tool fills it in).
    package internal(set) var commandPath: [String]

    package init(_ message: String, commandPath: [String] = []) {
        self.message = message
        self.commandPath = commandPath
    }

    package var description: String { message }
}

/// A command failed in a way it can explain: the tool prints
/// `program: message` (and the hint, if any) to standard error and exits
/// with `exitCode`.
package struct CommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package let exitCode: ExitCode
    /// A second line saying what to do.
    package let hint: String?

    package init(_ message: String, exitCode: ExitCode = .failure, hint: String? = nil) {
        self.message = message
        self.exitCode = exitCode
        self.hint = hint
    }

    package var description: String { message }
}
