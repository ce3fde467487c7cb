import Posix
import Testing
import TestSupport

/// The generated completion scripts, loaded in real shells.
@Suite struct CompletionTests {
    /// What bash completes for the command line `words` (the last one is
    /// being typed), with the completion script loaded.
    func complete(_ words: [String], socket: String? = nil, folder: TemporaryDirectory) async throws -> [String] {
        let script = try await vcctl(["completion", "bash"], folder: folder)
        #expect(script.status == 0)
        try FileSystem.writeFileAtomically(folder.file("vcctl.bash"), Array(script.standardOutput.utf8))
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let program = """
            source \(folder.file("vcctl.bash"))
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
            _vcctl
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        var environment = isolatedEnvironment(in: folder)
        environment["PATH"] = BuiltProducts.directory + ":/usr/bin:/bin"
        if let socket { environment["VISIONCRAFT_SOCKET"] = socket }
        let shellEnvironment = environment
        let output = try await offPool { try runProcess("/bin/bash", ["--norc", "-c", program], environment: shellEnvironment) }
        #expect(output.status == 0, "\(output.standardError)")
        return output.standardOutput.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func bashCompletesCommandsFlagsAndValuesFromTheTree() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(try await complete(["vcctl", "su"], folder: folder) == ["submit"])
        #expect(try await complete(["vcctl", "daemon", ""], folder: folder).contains("start"))
        #expect(try await complete(["vcctl", "submit", "--mo"], folder: folder) == ["--model"])
        #expect(try await complete(["vcctl", "list", "--state", "fa"], folder: folder) == ["failed"])
        #expect(try await complete(["vcctl", "completion", ""], folder: folder) == ["bash", "zsh", "fish"])
        #expect(try await complete(["vcctl", "--json", "ke"], folder: folder) == ["key"], "global options before the command")
        #expect(try await complete(["vcctl", "submit", "--model", ""], folder: folder).isEmpty, "no daemon: no names, no error")
    }

    @Test func namesAndIdsComeFromTheRunningDaemon() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let submitted = try await vcctl(["--socket", daemon.socketPath, "submit", "a fox"], folder: daemon.folder)
        let id = submitted.standardOutput.trimmingNewline
        #expect(try await complete(["vcctl", "submit", "--model", "anything_V"], socket: daemon.socketPath, folder: daemon.folder) == ["anything_V5"])
        #expect(try await complete(["vcctl", "get", ""], socket: daemon.socketPath, folder: daemon.folder) == [id])
        #expect(try await complete(["vcctl", "submit", "--plugin", "ups"], socket: daemon.socketPath, folder: daemon.folder) == ["upscale"])
        #expect(try await complete(["vcctl", "submit", "--backend", ""], socket: daemon.socketPath, folder: daemon.folder) == ["visioncraft"])
        #expect(try await complete(["vcctl", "key", "status", "--backend", "vis"], socket: daemon.socketPath, folder: daemon.folder) == ["visioncraft"])
        let samplers = try await complete(["vcctl", "submit", "--sampler", "Euler"], socket: daemon.socketPath, folder: daemon.folder)
        #expect(samplers.contains(#"Euler\ a"#), "a name with a space stays one completion, quoted: \(samplers)")
    }

    @Test(arguments: ["zsh", "fish"])
    func theOtherShellsGetAScript(shell: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await vcctl(["completion", shell], folder: folder)
        #expect(output.status == 0)
        #expect(output.standardOutput.contains(shell == "zsh" ? "bashcompinit" : "complete -c vcctl -n 'test (__vcctl_command) = \"vcctl\"' -a submit"))
        let bad = try await vcctl(["completion", "tcsh"], folder: folder)
        #expect(bad.status == 64)
    }
}
