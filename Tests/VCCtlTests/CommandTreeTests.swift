import CommandLineKit
import JSON
import Posix
import VisionCraftProtocol
import Testing
@testable import VCCtl

@Suite struct CommandTreeTests {
    @Test func globalOptionsReachEveryCommand() throws {
        let (command, parsed) = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["daemon", "stop", "--json", "--socket", "/s"])
        #expect(command.name == "stop")
        let global = GlobalOptions(parsed)
        #expect(global.json)
        #expect(global.socketPath == "/s")
        #expect(!global.noStart)
    }

    @Test func rpcTakesAMethodAndOptionalParams() throws {
        let parsed = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["rpc", "daemon.status", #"{"a":1}"#]).parsed
        #expect(parsed.argument(RPCCommand.methodArgument) == "daemon.status")
        #expect(parsed.argument(RPCCommand.paramsArgument) == #"{"a":1}"#)
        #expect(throws: UsageError.self) { _ = try CommandLineTool.parse(VisionCraftControl.self, arguments: ["rpc"]) }
    }

    @Test(arguments: [(0.4, "0s"), (12, "12s"), (192, "3m 12s"), (7500, "2h 5m"), (353_000, "4d 2h")])
    func durations(seconds: Double, text: String) {
        #expect(Output.duration(seconds: seconds) == text)
    }

    @Test func clientErrorsMapToDocumentedExitCodes() {
        #expect(Failure.from(.unavailable(path: "/s", reason: "x")).exitCode == .unavailable)
        #expect(Failure.from(.startFailed(path: "/s", detail: "x")).exitCode == .unavailable)
        let missing = Failure.from(.socketMissing(path: "/s", pid: 42, detail: "its socket file /s is missing"))
        #expect(missing.exitCode == .unavailable)
        #expect(missing.message.contains("a visioncraftd (pid 42) holds /s.lock but its socket file /s is missing"))
        #expect(missing.message.contains("kill 42"))
        #expect(Failure.from(.untrustedServer(path: "/s", uid: 5)).exitCode == .noPermission)
        #expect(Failure.from(.invalidPath("long")).exitCode == .config)
        #expect(Failure.from(.call(.timedOut(.seconds(1)))).exitCode == .temporaryFailure)
        #expect(Failure.from(.call(.malformedReply("?"))).exitCode == .software)
        #expect(Failure.from(.call(.server(.internalError("x")))).exitCode == .failure)
        #expect(Failure.from(.call(.connectionClosed)).exitCode == .unavailable)
    }
}

@Suite struct ProgressLineTests {
    func job(state: String, done: Int, of count: Int, next: String? = nil, position: Int? = nil) throws -> JobInfo {
        try JobInfo(result: [
            "id": "01J", "state": .string(state), "params": ["prompt": "a fox", "image_count": .number(JSONNumber(count))],
            "images": [], "images_done": .number(JSONNumber(done)), "attempts": 1,
            "next_attempt_at": next.map(JSON.string) ?? .null, "position": position.map { .number(JSONNumber($0)) } ?? .null,
            "error": next == nil ? .null : ["kind": "transient", "message": "HTTP 503"],
            "created_at": "2026-11-25T12:00:00.000Z", "updated_at": "2026-11-25T12:00:00.000Z",
        ])
    }

    @Test func showsTheBarTheStateTheTimeAndTheNextRetry() throws {
        let now = try #require(WallClock(iso8601: "2026-11-25T12:00:00.000Z"))
        #expect(ProgressLine.text(try job(state: "running", done: 3, of: 6), waited: .seconds(12), position: (0, 1), now: now)
            == "[=====     ] 3/6 running  12s")
        #expect(ProgressLine.text(try job(state: "queued", done: 0, of: 2, next: "2026-11-25T12:00:07.500Z"), waited: .seconds(75), position: (1, 3), now: now)
            == "job 2/3 [          ] 0/2 queued  1m 15s  next retry in 8 s (transient: HTTP 503)")
        #expect(ProgressLine.text(try job(state: "queued", done: 0, of: 1, position: 4), waited: .zero, position: (0, 1), now: now)
            == "[          ] 0/1 queued  0s  4 ahead")
        #expect(ProgressLine.fit(String(repeating: "x", count: 100), columns: 40).count == 39)
    }

    @Test func readsTheTimestampsTheDaemonWrites() throws {
        let clock = WallClock(milliseconds: 1_795_000_123_456)
        #expect(WallClock(iso8601: clock.iso8601)?.milliseconds == clock.milliseconds)
        #expect(WallClock(iso8601: "1970-01-01T00:00:00Z")?.milliseconds == 0)
        #expect(WallClock(iso8601: "2024-02-29T23:59:59.9Z")?.milliseconds == 1_709_251_199_900)
        for bad in ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T12:00:00+01:00", "2026-11-25T12:00:00.Z", "x026-11-25T12:00:00Z"] {
            #expect(WallClock(iso8601: bad) == nil, "\(bad)")
        }
    }
}
