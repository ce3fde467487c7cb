import CommandLineKit
import Posix
import Testing
import TestSupport
import VCCtl

@Suite struct ManualTests {
    @Test func everyVcctlOptionIsInTheManual() throws {
        let documented = try ManualPage("vcctl.1").longOptions
        for command in CommandLineTool.commands(VisionCraftControl.self) {
            for option in command.options where !option.hidden {
                #expect(documented.contains(option.long), "man/vcctl.1 lacks --\(option.long) (\(command.path.joined(separator: " ")))")
            }
        }
        #expect(documented.contains("version") && documented.contains("help"))
    }

    @Test func everyVcctlCommandIsInTheManual() throws {
        let text = try ManualPage("vcctl.1").text
        for command in CommandLineTool.commands(VisionCraftControl.self) where command.path.count > 1 {
            let words = command.path.dropFirst().joined(separator: " ")
            #expect(text.contains("Cm \(words)"), "man/vcctl.1 lacks the command '\(words)'")
        }
    }

    @Test(arguments: ["vcctl.1", "visioncraftd.8", "visioncraft-emulator.1", "visioncraft-plugin.7", "visioncraft.conf.5"])
    func manualsAreLintClean(page: String) async throws {
        guard let mandoc = ProcessEnvironment.findExecutable(named: "mandoc") else {
            Issue.record("mandoc is not installed: the man page lint test needs it (.ci/install-packages --tests installs it)")
            return
        }
        let output = try await offPool { try runProcess(mandoc, ["-T", "lint", "-W", "warning", try ManualPage(page).path]) }
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.isEmpty && output.standardError.isEmpty, "\(output.standardOutput)\(output.standardError)")
    }
}
