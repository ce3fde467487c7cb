import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plugin that crashes the daemon costs no job and does not crash it again.
@Suite struct PluginCrashTests {
    /// Copies the built test plugin `product` into `<folder>/plugins` (the
    /// folder is returned, for --plugin-dir).
    static func install(_ product: String, in folder: TemporaryDirectory) throws -> String {
        let plugins = folder.file("plugins")
        try FileSystem.makeDirectories(plugins, permissions: 0o755)
        #if canImport(Darwin)
        let fileExtension = ".dylib"
        #else
        let fileExtension = ".so"
        #endif
        let library = "\(BuiltProducts.directory)/lib\(product)\(fileExtension)"
        try FileSystem.writeFileAtomically("\(plugins)/\(product)\(fileExtension)", try FileSystem.readFile(library), permissions: 0o755)
        return plugins
    }

    @Test func aPluginThatKilledTheDaemonIsDisabledAtTheNextStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plugins = try Self.install("vctest-crash", in: folder)
        let arguments = ["--emulator", "--requests-per-minute", "0", "--plugin-dir", plugins]

        @Sendable func call(_ daemon: DaemonProcess, _ line: String) throws -> JSON {
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(line)
            return try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(30))))
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
        #expect(entry?["disabled"]?.stringValue?.contains("the daemon crashed (SIGABRT) while its image hook was running") == true, "\(listed)")
        #expect(job["result"]?["job"]?["state"] == "failed", "\(job)")
        #expect(job["result"]?["job"]?["error"]?["message"]?.stringValue?.contains("plugin crash-test is disabled") == true)
        let after = enabled["result"]?["plugins"]?.arrayValue?.first { $0["name"] == "crash-test" }
        #expect(after?["disabled"] == nil, "enabled again")
    }

    /// A hook that overflows its thread's stack is a crash like any other:
    /// the fatal-signal handler runs on the worker's alternate signal stack
    /// and records it, so the plugin is disabled (without that stack the
    /// handler cannot run, and the death looked like a kill).
    @Test func aPluginThatOverflowedItsStackIsDisabledAtTheNextStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plugins = try Self.install("vctest-overflow", in: folder)
        let arguments = ["--emulator", "--requests-per-minute", "0", "--plugin-dir", plugins]
        let environment = isolatedEnvironment(in: folder, extra: SanitizedRun.leavingSIGSEGVAlone)

        let death = try await offPool { () -> ChildProcess.Termination in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder, environment: environment)
            let client = try daemon.connect()
            defer { client.close() }
            // The prompt hook runs during the submit: no answer comes.
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"deep","plugins":["overflow-test"]}}"#)
            _ = try? client.readLine(timeout: TestTime.scaled(.seconds(60)))
            return try daemon.child.wait()
        }
        #expect(death == .signaled(Signal(rawValue: SIGSEGV)), "\(death)")

        let listed = try await offPool { () -> JSON in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"plugins.list"}"#)
            return try JSONParser.parse(try client.readLine())
        }
        let entry = listed["result"]?["plugins"]?.arrayValue?.first { $0["name"] == "overflow-test" }
        #expect(entry?["disabled"]?.stringValue?.contains("the daemon crashed (SIGSEGV) while its prompt hook was running") == true, "\(listed)")
    }

    /// SIGKILL cannot be a plugin's doing as far as anyone can tell: the
    /// daemon killed while a hook runs keeps the plugin, and the job, run
    /// again, succeeds.
    @Test func aDaemonKilledDuringAHookKeepsThePlugin() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plugins = try Self.install("vctest-slow", in: folder)
        let arguments = ["--emulator", "--requests-per-minute", "0", "--plugin-dir", plugins]
        let submit = #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"slow","plugins":["slow-test:{\"sleep_ms\":1500}"]}}"#

        let id = try await offPool { () -> String in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(submit)
            guard let id = try JSONParser.parse(try client.readLine())["result"]?["id"]?.stringValue else { throw TestFailure("submit failed") }
            // Killed once the hook runs: its note is in the journal.
            let journal = folder.file("state/visioncraft/plugin-calls")
            let deadline = MonotonicInstant.now().advanced(by: .seconds(30))
            while ((try? FileSystem.contentsOfDirectory(journal)) ?? nil)?.isEmpty != false {
                guard MonotonicInstant.now() < deadline else { throw TestFailure("the hook never started") }
                pauseBriefly()
            }
            daemon.child.send(.kill)
            _ = try daemon.child.wait()
            return id
        }
        let (listed, job) = try await offPool { () -> (JSON, JSON) in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"plugins.list"}"#)
            let listed = try JSONParser.parse(try client.readLine())
            try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":30}}"#)
            return (listed, try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(40)))))
        }
        let entry = listed["result"]?["plugins"]?.arrayValue?.first { $0["name"] == "slow-test" }
        #expect(entry != nil && entry?["disabled"] == nil, "\(listed)")
        #expect(job["result"]?["job"]?["state"] == "succeeded", "\(job)")
    }
}
