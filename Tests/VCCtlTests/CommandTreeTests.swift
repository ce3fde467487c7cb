import CommandLineKit
import Testing
@testable import VCCtl

@Suite struct CommandTreeTests {
    @Test func globalOptionsReachEveryCommand() throws {
        let (command, parsed) = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["daemon", "stop", "--json", "--socket", "/s"])
        #expect(command.configuration.name == "stop")
        let global = GlobalOptions(parsed)
        #expect(global.json)
        #expect(global.socketPath == "/s")
        #expect(!global.noStart)
    }

    @Test func rpcTakesAMethodAndOptionalParams() throws {
        let parsed = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["rpc", "daemon.status", #"{"a":1}"#]).parsed
        #expect(parsed.argument("METHOD") == "daemon.status")
        #expect(parsed.argument("PARAMS") == #"{"a":1}"#)
        #expect(throws: UsageError.self) { _ = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["rpc"]) }
    }

    @Test(arguments: [(0.4, "0s"), (12, "12s"), (192, "3m 12s"), (7500, "2h 5m"), (353_000, "4d 2h")])
    func durations(seconds: Double, text: String) {
        #expect(Output.duration(seconds: seconds) == text)
    }

    @Test func clientErrorsMapToDocumentedExitCodes() {
        #expect(Failure.from(.unavailable(path: "/s", reason: "x")).exitCode == .unavailable)
        #expect(Failure.from(.startFailed(path: "/s", detail: "x")).exitCode == .unavailable)
        #expect(Failure.from(.untrustedServer(path: "/s", uid: 5)).exitCode == .noPermission)
        #expect(Failure.from(.invalidPath("long")).exitCode == .config)
        #expect(Failure.from(.call(.timedOut(.seconds(1)))).exitCode == .temporaryFailure)
        #expect(Failure.from(.call(.malformedReply("?"))).exitCode == .software)
        #expect(Failure.from(.call(.server(.internalError("x")))).exitCode == .failure)
        #expect(Failure.from(.call(.connectionClosed)).exitCode == .unavailable)
    }
}
