@testable import CommandLineKit
import Testing

@Suite struct ParsingTests {
    @Test func longShortAttachedAndCombinedForms() {
        let run = Run(["submit", "--count", "3", "-l", "a", "-lb", "--label=c", "-wq", "--model=x y", "a", "cat"])
        #expect(run.code == .success)
        #expect(run.stdout == "prompts=[\"a\", \"cat\"] count=3 labels=[\"a\", \"b\", \"c\"] wait=true quiet=true cfg=nil model=x y socket=nil json=false secret=false\n")
        #expect(run.stderr.isEmpty)
    }

    @Test func inheritedOptionsWorkBeforeAndAfterTheSubcommand() {
        let before = Run(["--socket", "/s", "--json", "submit", "x"])
        let after = Run(["submit", "x", "--socket=/s", "--json"])
        #expect(before.stdout.contains("socket=/s json=true"))
        #expect(after.stdout == before.stdout)
        #expect(Run(["submit", "--secret", "x"]).stdout.contains("secret=true"))
    }

    @Test func doubleDashEndsOptions() {
        #expect(Run(["submit", "--", "--wait", "-n"]).stdout.hasPrefix("prompts=[\"--wait\", \"-n\"] count=nil labels=[] wait=false"))
    }

    @Test func aLoneDashIsPositional() {
        #expect(Run(["submit", "-"]).stdout.hasPrefix("prompts=[\"-\"]"))
    }

    @Test func negativeNumbersAreValues() {
        #expect(Run(["submit", "--cfg", "-1.5", "x"]).stdout.contains("cfg=-1.5"))
        #expect(Run(["submit", "x", "-3"]).stdout.hasPrefix("prompts=[\"x\", \"-3\"]"))
    }

    @Test func aRepeatedSingleOptionKeepsTheLastValue() {
        #expect(Run(["submit", "-n", "2", "-n", "4", "x"]).stdout.contains("count=4"))
    }

    @Test func nestedSubcommandsResolve() {
        #expect(Run(["daemon", "start", "--foreground"]).stdout == "tool/daemon/start\n")
        let stop = Run(["daemon", "stop", "tired"])
        #expect(stop.stdout == "stop tired\n")
        #expect(stop.code == ExitCode(rawValue: 3))
        #expect(Run(["daemon", "stop"]).stdout == "stop -\n")
    }

    @Test func parseWithoutRunning() throws {
        let (command, parsed) = try CommandLineTool.parse(Tool.self, arguments: ["daemon", "stop", "now"])
        #expect(command.name == "stop")
        #expect(command is Daemon.Stop.Type)
        #expect(parsed.commandPath == ["tool", "daemon", "stop"])
        #expect(parsed.argument("REASON") == "now")
    }

    @Test(arguments: [
        (["submit", "--bogus", "x"], "unknown option '--bogus' for 'tool submit'"),
        (["submit", "--wiat", "x"], "Did you mean '--wait'?"),
        (["submit", "-z", "x"], "unknown option '-z'"),
        (["submit", "--count"], "option '--count' needs a value (N)"),
        (["submit", "-n"], "option '-n' needs a value (N)"),
        (["submit", "--wait=yes", "x"], "option '--wait' takes no value"),
        (["submit", "--count", "many", "x"], "option '--count' expects an integer from 1 to 100, got 'many'"),
        (["submit", "--count", "500", "x"], "expects an integer from 1 to 100, got 500"),
        (["submit", "--cfg", "nan", "x"], "option '--cfg' expects a number"),
        (["submit"], "missing argument PROMPT"),
        (["sumbit", "x"], "unknown command 'sumbit' for 'tool'. Did you mean 'submit'?"),
        (["zzzzzz"], "unknown command 'zzzzzz' for 'tool'"),
        (["daemon", "stop", "a", "b"], "unexpected argument 'b'"),
        (["daemon", "start", "--json", "--count", "1"], "unknown option '--count' for 'tool daemon start'"),
        (["fail", "--how", "usag"], "expects one of failure, usage, other, got 'usag'. Did you mean 'usage'?"),
    ])
    func usageErrorsExit64WithAHint(arguments: [String], message: String) {
        let run = Run(arguments)
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty, "usage errors never write to stdout")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stderr.hasPrefix("tool: "))
        #expect(run.stderr.contains("Try 'tool"))
        #expect(run.stderr.contains("--help'."))
    }

    @Test func farOffNamesGetNoSuggestion() {
        #expect(!Run(["zzzzzz"]).stderr.contains("Did you mean"))
    }

    @Test func aGroupAloneIsAUsageErrorWithItsHelpOnStderr() {
        let run = Run(["daemon"])
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("missing command for 'tool daemon' (one of: start, stop)"))
        #expect(run.stderr.contains("Commands:\n  start"))
    }
}
