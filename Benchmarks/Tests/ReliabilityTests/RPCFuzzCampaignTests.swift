import Posix
import Reliability
import Testing
import TestSupport

struct InputMutatorTests {
    @Test func aSeedGivesTheSameInputsEveryTime() {
        var first = InputMutator(seed: 42), second = InputMutator(seed: 42), other = InputMutator(seed: 43)
        let seed = Array(NastyInputs.seeds[2].utf8), splice = Array(NastyInputs.seeds[0].utf8)
        let a = (0..<200).map { _ in first.mutate(seed, splicing: splice) }
        let b = (0..<200).map { _ in second.mutate(seed, splicing: splice) }
        let c = (0..<200).map { _ in other.mutate(seed, splicing: splice) }
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a).count > 150, "mutations differ from one another")
        #expect(a.filter { $0 == seed }.count < 5, "almost every mutation changes the input")
    }

    @Test func theShutdownMethodIsNeverSent() {
        #expect(NastyInputs.isForbidden(Array(#"{"method":"daemon.shutdown"}"#.utf8)))
        #expect(!NastyInputs.isForbidden(Array(#"{"method":"daemon.status"}"#.utf8)))
        #expect(!NastyInputs.isForbidden([]))
        #expect(NastyInputs.seeds.allSatisfy { !NastyInputs.isForbidden(Array($0.utf8)) })
    }
}

/// A short run of the fuzzer that `visioncraft-reliability fuzz` runs for a
/// million inputs, against a real daemon with no key and an upstream that
/// refuses connections (nothing is generated).
struct RPCFuzzCampaignTests {
    @Test func theDaemonAnswersThroughThousandsOfBadInputs() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--upstream", "http://127.0.0.1:\(refusing.port)"]) }
        defer { daemon.cleanUp() }
        var settings = RPCFuzzCampaign.Settings()
        settings.inputs = 5_000
        settings.checkpointEvery = 500
        settings.disconnectEvery = 250
        settings.hugeLineBytes = [17 << 20]  // over the daemon's 16 MiB line limit
        settings.seed = 7
        let campaign = RPCFuzzCampaign(socket: daemon.socketPath, daemonProcessID: daemon.child.pid, settings: settings)
        let report = try await offPool { try campaign.run() }
        #expect(report.inputs == 5_000)
        #expect(report.checkpoints == 10, "every checkpoint answered on the fuzzed connection and another")
        #expect(report.parseErrors > 100 && report.invalidRequests > 10, "\(report)")
        #expect(report.reconnections >= 2, "the oversized line and the half messages dropped connections")
        #expect(report.slowestStatus < TestTime.scaled(.seconds(2)), "\(report.slowestStatus)")
        // Not in a sanitizer run: there the resident size is the sanitizer's
        // (AddressSanitizer keeps freed blocks in a quarantine of up to 256 MB).
        if !SanitizedRun.isActive, let start = report.residentKilobytesAtStart, let peak = report.residentKilobytesPeak {
            #expect(peak - start < 200 * 1024, "the 17 MiB line was not kept: \(start) -> \(peak) kB")
        }
        // Still the same daemon, still answering.
        #expect(try daemon.child.poll() == nil)
        let reply = try await offPool { () -> String in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return try client.readLine(timeout: TestTime.scaled(.seconds(10)))
        }
        #expect(reply.contains("\"result\""))
    }
}
