import CommandLineKit
import Daemon
import Testing
import TestSupport

@Suite struct DaemonManualTests {
    @Test func everyDaemonOptionIsInTheManual() throws {
        let documented = try ManualPage("visioncraftd.8").longOptions
        for option in VisionCraftDaemonCommand.configuration.options {
            #expect(documented.contains(option.long), "man/visioncraftd.8 lacks --\(option.long)")
        }
        #expect(documented.isSuperset(of: ["version", "help"]))
    }
}
