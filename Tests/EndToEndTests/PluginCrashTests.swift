import JSON
import Posix
import Testing
import TestSupport

/// A plugin that crashes the daemon costs no job and does not crash it again.
@Suite struct PluginCrashTests {
    @Test func aPluginThatKilledTheDaemonIsDisabledAtTheNextStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plugins = folder.file("plugins")
        try FileSystem.makeDirectories(plugins, permissions: 0o755)
        #if canImport(Darwin)
        let fileExtension = ".dylib"
        #else
        let fileExtension = ".so"
        #endif
        let library = "\(BuiltProducts.directory)/libvctest-crash\(fileExtension)"
        try FileSystem.writeFileAtomically("\(plugins)/crash\(fileExtension)", try FileSystem.readFile(library), permissions: 0o755)
        let arguments = ["--emulator", "--requests-per-minute", "0", "--plugin-dir", plugins]

        @Sendable func call(_ daemon: DaemonProcess, _ line: String) throws -> JSON {
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(line)
            return try JSONParser.parse(try client.readLine(timeout: .seconds(30)))
        }

        // The job runs the plugin, which aborts the daemon.
        let (id, death) = try await offPool { () -> (String, ChildProcess.Termination) in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            let reply = try call(daemon, #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"boom","plugins":["crash-test"]}}"#)
            guard let id = reply["result"]?["id"]?.stringValue else { throw TestFailure("submit failed: \(reply)") }
            return (id, try daemon.child.wait())
        }
        guard case .signaled = death else {
            Issue.record("the daemon was expected to die in the plugin, it ended with \(death)")
            return
        }

        // The next start disables it; the job, requeued, fails with the reason.
        let (listed, job, enabled) = try await offPool { () -> (JSON, JSON, JSON) in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            let listed = try call(daemon, #"{"jsonrpc":"2.0","id":1,"method":"plugins.list"}"#)
            let job = try call(daemon, #"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":20}}"#)
            let enabled = try call(daemon, #"{"jsonrpc":"2.0","id":3,"method":"plugins.enable","params":{"name":"crash-test"}}"#)
            return (listed, job, enabled)
        }
        let entry = listed["result"]?["plugins"]?.arrayValue?.first { $0["name"] == "crash-test" }
        #expect(entry?["disabled"]?.stringValue?.contains("the daemon stopped while its image hook was running") == true, "\(listed)")
        #expect(job["result"]?["job"]?["state"] == "failed", "\(job)")
        #expect(job["result"]?["job"]?["error"]?["message"]?.stringValue?.contains("plugin crash-test is disabled") == true)
        let after = enabled["result"]?["plugins"]?.arrayValue?.first { $0["name"] == "crash-test" }
        #expect(after?["disabled"] == nil, "enabled again")
    }
}
