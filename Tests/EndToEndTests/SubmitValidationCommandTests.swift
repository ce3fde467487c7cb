import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// What `job.submit` refuses before anything is spent, as a user meets it:
/// vcctl exits 64 naming the flag, and no job is left behind.
@Suite struct SubmitValidationCommandTests {
    func run(_ daemon: DaemonProcess, _ arguments: [String]) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder)
    }

    /// The lists at hand: a submit waits only 3 s for them (a loaded
    /// machine may take longer, and the submit is then accepted unchecked).
    func fetchLists(_ daemon: DaemonProcess) async throws {
        let models = try await run(daemon, ["models"])
        #expect(models.status == 0, "\(models.standardError)")
    }

    func jobCount(_ daemon: DaemonProcess) async throws -> Int? {
        try JSONParser.parse(try await run(daemon, ["--json", "list"]).standardOutput).arrayValue?.count
    }

    @Test func refusalsExit64NamingTheFlagAndCommitNothing() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        try await fetchLists(daemon)
        let folder = daemon.folder
        try FileSystem.writeFileAtomically(folder.file("file"), [1])
        try FileSystem.writeFileAtomically(folder.file("notes.png"), Array("a text file".utf8))
        let refusals: [([String], String)] = [
            (["--model", "anythng_V5"], "--model unknown model 'anythng_V5': did you mean 'anything_V5'? (vcctl models lists them)"),
            (["--sampler", "Eulr a"], "--sampler unknown sampler 'Eulr a': did you mean 'Euler a'? (vcctl samplers lists them)"),
            (["--out", folder.file("file/images")], "--out cannot create the folder \(folder.file("file/images")): Not a directory"),
            (["--init-image", folder.file("notes.png")], "--init-image \(folder.file("notes.png")) is not a PNG, JPEG or WebP image"),
            (["--init-image", folder.file("gone.png")], "--init-image cannot read \(folder.file("gone.png")): No such file or directory"),
        ]
        for (arguments, message) in refusals {
            let output = try await run(daemon, ["submit", "a fox"] + arguments + ["--wait"])
            #expect(output.status == 64, "\(arguments): \(output.standardError)")
            #expect(output.standardError.contains(message), "\(arguments): \(output.standardError)")
            #expect(output.standardOutput.isEmpty)
        }
        #expect(try await jobCount(daemon) == 0, "nothing was committed")
    }

    @Test func aNameInAnotherCaseIsStoredAndStampedAsTheListSpellsIt() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        try await fetchLists(daemon)
        let output = try await run(daemon, ["submit", "a fox", "--model", "ANYTHING_v5", "--sampler", "euler A", "--wait"])
        #expect(output.status == 0, "\(output.standardError)")
        let job = try JSONParser.parse(try await run(daemon, ["--json", "get", "last"]).standardOutput)
        #expect(job["params"]?["model"]?.stringValue == "anything_V5")
        #expect(job["params"]?["sampler"]?.stringValue == "Euler a")
        let path = try #require(output.standardOutput.split(separator: "\n").first.map(String.init))
        let text = try PNGCodec.decode(try FileSystem.readFile(path)).text.first { $0.keyword == "parameters" }?.text ?? ""
        #expect(text.contains("Sampler: Euler a,") && text.contains("Model: anything_V5,"), "\(text)")
    }

    @Test func theDaemonsOwnFolderIsRefusedNamingWhereItIsSet() async throws {
        let folder = try TemporaryDirectory()
        try FileSystem.writeFileAtomically(folder.file("file"), [1])
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0", "--output-dir", folder.file("file/images")], folder: folder)
        }
        defer { daemon.cleanUp() }
        let output = try await run(daemon, ["submit", "a fox"])
        #expect(output.status == 64, "\(output.standardError)")
        #expect(output.standardError.contains(
            "cannot create the folder \(folder.file("file/images")): Not a directory; it is the daemon's output folder (jobs.output_dir in the configuration file, or visioncraftd --output-dir)"
        ), "\(output.standardError)")
        #expect(try await jobCount(daemon) == 0)
    }
}
