import JSON
import Testing
import TestSupport

/// Short ids, any case and `last` in vcctl's job commands, resolved by the
/// daemon (so the editors' short ids and a script's `last` work everywhere).
@Suite struct JobReferenceCommandTests {
    func run(_ daemon: DaemonProcess, _ arguments: [String]) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder)
    }

    @Test func theEndingThePrefixAndLastNameTheJob() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let first = try await run(daemon, ["submit", "a lighthouse", "--wait"])
        #expect(first.status == 0, "\(first.standardError)")
        let submitted = try await run(daemon, ["submit", "a harbour", "--wait", "--json"])
        let id = try #require(try JSONParser.parse(submitted.standardOutput)["id"]?.stringValue, "\(submitted.standardOutput)")

        // The last 8 characters, as the Emacs integration shows, in lower case.
        let short = String(id.suffix(8)).lowercased()
        let shown = try await run(daemon, ["--json", "get", short])
        #expect(shown.status == 0, "\(shown.standardError)")
        #expect(try JSONParser.parse(shown.standardOutput)["id"]?.stringValue == id)
        let waited = try await run(daemon, ["wait", "last", "--timeout", "30"])
        #expect(waited.status == 0, "\(waited.standardError)")
        let last = try await run(daemon, ["--json", "get", "last"])
        #expect(try JSONParser.parse(last.standardOutput)["id"]?.stringValue == id)
        let watched = try await run(daemon, ["watch", short])
        #expect(watched.status == 0 && watched.standardOutput.contains(id), "\(watched.standardError)")

        // Both jobs start with the same millisecond's characters.
        let ambiguous = try await run(daemon, ["get", String(id.prefix(4))])
        #expect(ambiguous.status == 64, "a refused argument")
        #expect(ambiguous.standardError.contains("matches more than one job") && ambiguous.standardError.contains(id), "\(ambiguous.standardError)")
        let malformed = try await run(daemon, ["cancel", "no-such"])
        #expect(malformed.status == 64 && malformed.standardError.contains("'no-such' is not a job id"), "\(malformed.standardError)")
        let deleted = try await run(daemon, ["history", "rm", short])
        #expect(deleted.status == 0, "\(deleted.standardError)")
        let gone = try await run(daemon, ["get", id])
        #expect(gone.standardError.contains("no job \(id)"))
    }
}
