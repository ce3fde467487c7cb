import Posix
import Testing
import TestSupport

/// What `submit --wait` says while it waits, off a terminal: the job id at
/// once, each new error of a failing upstream, and on Ctrl-C that the job
/// goes on and how to wait for it again.
@Suite struct WaitMessageTests {
    @Test func submitWaitNamesTheJobReportsErrorsAndLeavesItRunningOnCtrlC() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: [
                "--emulator", "--emulator-faults", #"{"server_error_rate":1}"#, "--requests-per-minute", "0",
                "--max-attempts", "100", "--retry-base", "0.2",
            ])
        }
        defer { daemon.cleanUp() }
        let executable = try BuiltProducts.path("vcctl")
        let environment = ["HOME": daemon.folder.path, "XDG_STATE_HOME": daemon.folder.file("state"), "PATH": "/usr/bin:/bin"]
            .merging(SanitizedRun.environment) { given, _ in given }
        let (lines, termination, rest) = try await offPool { () throws -> ([String], ChildProcess.Termination, String) in
            let errors = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: executable, arguments: ["--socket", daemon.socketPath, "--no-start", "submit", "a fox", "--wait"],
                environment: environment
            )
            options.standardInput = .null
            options.standardOutput = .null
            options.standardError = .descriptor(errors.write)
            let child = try ChildProcess.spawn(options)
            try errors.write.close()
            let reader = LineClient(descriptor: errors.read)
            var lines: [String] = []
            do {
                // The id first, then the upstream's error while the job retries.
                lines.append(try reader.readLine(timeout: .seconds(60)))
                while !(lines.last ?? "").contains(", attempt ") { lines.append(try reader.readLine(timeout: .seconds(60))) }
            } catch {
                child.send(.kill)
                _ = try? child.wait()
                throw TestFailure("\(error); stderr so far: \(lines)")
            }
            child.send(.interrupt)
            let termination = try child.wait()
            var rest: [String] = []
            while let line = try reader.readLineOrEOF(timeout: .seconds(60)) { rest.append(line) }
            return (lines, termination, rest.joined(separator: "\n"))
        }
        let first = try #require(lines.first)
        #expect(first.hasPrefix("job ") && first.hasSuffix(" submitted; waiting"), "\(lines)")
        let id = String(first.dropFirst(4).prefix { $0 != " " })
        #expect(lines.last?.hasPrefix("job \(id), attempt ") == true, "\(lines)")
        #expect(lines.last?.contains("transient: temporary failure") == true, "the upstream error: \(lines)")
        #expect(termination == .exited(130), "\(termination)")
        #expect(rest.contains("vcctl: interrupted: job \(id) continues; vcctl wait \(id)"), "\(rest)")

        let state = try await vcctl(["--socket", daemon.socketPath, "--no-start", "--json", "get", id], folder: daemon.folder)
        #expect(!state.standardOutput.contains(#""state":"cancelled""#) && state.standardOutput.contains(#""state":"#), "the job goes on: \(state.standardOutput)")
    }
}
