@testable import Posix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
        var options = ChildProcess.Options(executable: "/bin/sleep", arguments: ["30"])
        options.standardOutput = .null
        options.standardError = .null
        let child = try ChildProcess.spawn(options)
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


@Suite struct DescriptorMappingTests {
    /// Applies the actions to a table of descriptor -> what it refers to,
    /// as the child would, and returns what each target ends up with.
    func simulate(_ mapping: [DescriptorMapping], open: [Int32: String]) -> [Int32: String] {
        var table = open
        for action in descriptorActions(for: mapping) {
            switch action {
            case .duplicate(let source, let target): table[target] = table[source]
            case .close(let fd): table[fd] = nil
            case .openNull(let fd): table[fd] = "/dev/null"
            }
        }
        return Dictionary(uniqueKeysWithValues: mapping.map { ($0.target, table[$0.target] ?? "closed") })
    }

    @Test func sourcesAboveTheStagingBaseAreNotClobbered() {
        // stderr's source is 64, where staging used to begin, and stdout's
        // source is higher: copying stdout to 64 first lost stderr's pipe.
        let result = simulate(
            [DescriptorMapping(target: 0, source: nil), DescriptorMapping(target: 1, source: 66), DescriptorMapping(target: 2, source: 64)],
            open: [64: "stderr pipe", 66: "stdout pipe"]
        )
        #expect(result == [0: "/dev/null", 1: "stdout pipe", 2: "stderr pipe"])
    }

    @Test func swappedAndSharedSourcesLandRight() {
        let open: [Int32: String] = [0: "in", 1: "out", 2: "err", 3: "three", 9: "nine"]
        let swapped = simulate(
            [DescriptorMapping(target: 1, source: 2), DescriptorMapping(target: 2, source: 1), DescriptorMapping(target: 3, source: 9), DescriptorMapping(target: 4, source: 9)],
            open: open
        )
        #expect(swapped == [1: "err", 2: "out", 3: "nine", 4: "nine"])
        let inherited = simulate([DescriptorMapping(target: 0, source: 0), DescriptorMapping(target: 5, source: 3)], open: open)
        #expect(inherited == [0: "in", 5: "three"])
    }

    @Test func stagingCopiesAreClosed() {
        let actions = descriptorActions(for: [DescriptorMapping(target: 1, source: 70)])
        #expect(actions == [.duplicate(70, 71), .duplicate(71, 1), .close(71)])
    }
}
