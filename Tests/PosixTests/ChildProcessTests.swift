import Posix
import Testing
import TestSupport

@Suite struct ChildProcessTests {
    @Test func exitStatusIsReported() async throws {
        let child = try ChildProcess.spawn(.init(executable: "/bin/sh", arguments: ["-c", "exit 3"]))
        let termination = try await offPool { try child.wait() }
        #expect(termination == .exited(3))
        #expect(try child.poll() == .exited(3))
    }

    @Test func killIsReportedAsTheSignal() async throws {
        let child = try ChildProcess.spawn(.init(executable: "/bin/sleep", arguments: ["30"]))
        child.send(.kill)
        let termination = try await offPool { try child.wait() }
        #expect(termination == .signaled(.kill))
        #expect(termination.description == "killed by SIGKILL")
    }

    @Test func standardOutputAndExtraDescriptorsReachTheChild() async throws {
        let output = try FileDescriptor.pipe()
        let extra = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: "/bin/sh",
            arguments: ["-c", "echo out; echo three >&3; echo \"$VCT_VALUE\""],
            environment: ["VCT_VALUE": "from-env", "PATH": "/usr/bin:/bin"]
        )
        options.standardOutput = .descriptor(output.write)
        options.extraDescriptors = [3: extra.write]
        let child = try ChildProcess.spawn(options)
        try output.write.close()
        try extra.write.close()
        let (stdout, fd3) = try await offPool {
            (try output.read.readAll(), try extra.read.readAll())
        }
        #expect(String(decoding: stdout, as: UTF8.self) == "out\nfrom-env\n")
        #expect(String(decoding: fd3, as: UTF8.self) == "three\n")
        #expect(try await offPool { try child.wait() } == .exited(0))
        try output.read.close()
        try extra.read.close()
    }

    @Test func descriptorsNotNamedAreClosedInTheChild() async throws {
        let leaked = try FileDescriptor.pipe()
        try leaked.write.setCloseOnExec(false)
        let child = try ChildProcess.spawn(
            .init(executable: "/bin/sh", arguments: ["-c", "test -e /proc/self/fd/\(leaked.write.rawValue) && exit 1; exit 0"])
        )
        #expect(try await offPool { try child.wait() } == .exited(0))
        try leaked.read.close()
        try leaked.write.close()
    }

    @Test func spawningAMissingExecutableThrows() {
        #expect(throws: SystemError.self) {
            _ = try ChildProcess.spawn(.init(executable: "/nonexistent/visioncraft-binary"))
        }
    }

    @Test func findExecutableSearchesThePath() {
        #expect(ProcessEnvironment.findExecutable(named: "sh", searchPath: "/nonexistent:/bin") == "/bin/sh")
        #expect(ProcessEnvironment.findExecutable(named: "no-such-tool-xyz", searchPath: "/bin") == nil)
        #expect(ProcessEnvironment.executablePath() != nil)
    }
}
