@testable import CommandLineKit
import Testing

@Suite struct HelpAndOutcomeTests {
    @Test func rootHelpIsExact() {
        let run = Run(["--help"])
        #expect(run.code == .success)
        #expect(run.stderr.isEmpty)
        #expect(run.stdout == """
            Usage: tool [options] COMMAND

            A tool for tests.

            It has a group and leaves.

            Options:
              --socket PATH  Where to connect.
              --json         Machine output.
              -h, --help     Show this help.
              --version      Show the version.

            Commands:
              submit  Submit prompts.
              daemon  Manage the daemon.
              fail    Fail on purpose.

            Run 'tool COMMAND --help' for a command's options.

            """)
    }

    @Test func leafHelpListsArgumentsOptionsAndGlobals() {
        let run = Run(["submit", "-h"])
        #expect(run.code == .success)
        #expect(run.stdout.hasPrefix("Usage: tool submit [options] PROMPT...\n\nSubmit prompts.\n"))
        #expect(run.stdout.contains("Arguments:\n  PROMPT"))
        #expect(run.stdout.contains("  -n, --count N"))
        #expect(run.stdout.contains("  -l, --label LABEL"))
        #expect(run.stdout.contains("Global options:\n  --socket PATH"))
        #expect(!run.stdout.contains("secret"), "hidden options stay out of help")
    }

    @Test func helpWinsOverOtherErrors() {
        let run = Run(["daemon", "stop", "--bogus", "--help"])
        #expect(run.code == .success)
        #expect(run.stdout.hasPrefix("Usage: tool daemon stop [options] [REASON]"))
    }

    @Test func helpTextWrapsAt80Columns() {
        #expect(CommandLineTool.help(Tool.self).split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test func versionGoesToStdout() {
        let run = Run(["--version"])
        #expect(run.code == .success)
        #expect(run.stdout == "tool 9.9.9\n")
    }

    @Test func commandFailuresUseTheirCodeAndHint() {
        let run = Run(["fail"])
        #expect(run.code == .unavailable)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "tool: the daemon is away\nStart it with 'tool daemon start'.\n")
    }

    @Test func usageErrorsFromRunAre64() {
        let run = Run(["fail", "--how", "usage"])
        #expect(run.code == .usage)
        #expect(run.stderr.hasPrefix("tool: PROMPT must not be empty\nTry 'tool fail --help'."))
    }

    @Test func otherErrorsExit1WithTheirDescription() {
        let run = Run(["fail", "--how", "other"])
        #expect(run.code == .failure)
        #expect(run.stderr == "tool: something broke\n")
    }

    @Test func theTreeListsEveryCommandWithItsOptions() {
        let commands = CommandLineTool.commands(Tool.self)
        #expect(commands.map { $0.path.joined(separator: " ") } == [
            "tool", "tool submit", "tool daemon", "tool daemon start", "tool daemon stop", "tool fail",
        ])
        let start = commands.first { $0.path == ["tool", "daemon", "start"] }
        #expect(start?.options.map(\.long) == ["foreground", "socket", "json", "secret"])
        let submit = commands.first { $0.path.last == "submit" }
        #expect(submit?.options.first { $0.long == "model" }?.completion == .dynamic("models"))
    }

    @Test func suggestionsUseEditDistance() {
        #expect(Option(long: "count", short: "n", valueName: "N", help: "").synopsis == "-n, --count N")
        #expect(Argument(name: "FILE", help: "", optional: true, variadic: true).synopsis == "[FILE...]")
    }
}
