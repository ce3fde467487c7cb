import Posix
import Testing
import TestSupport

/// The Emacs executable: the first `emacs` on PATH, or nil.
private let emacsPath = ProcessEnvironment.findExecutable(named: "emacs")

/// `Integrations/emacs/visioncraft.el` in a real Emacs (batch mode): its ERT
/// tests (`visioncraft-tests.el`) against a real daemon on its embedded
/// emulator, and a byte-compilation that must give no warning.
@Suite(.enabled(if: emacsPath != nil, "needs Emacs 28 or later (Debian: emacs-nox)"))
struct EmacsTests {
    static let folder = ManualPage.repositoryRoot + "/Integrations/emacs"

    /// The ERT tests that need a daemon with a quick upstream.
    static let liveTests = [
        "visioncraft-test-calls-and-reconnects",
        "visioncraft-test-generate-in-org-inserts-file-links",
        "visioncraft-test-generate-from-region-in-text-inserts-markdown",
        "visioncraft-test-list-shows-jobs",
    ]

    /// The ERT tests that need no daemon.
    static let pureTests = [
        "visioncraft-test-split-lines",
        "visioncraft-test-filter-routes-replies-and-notifications",
        "visioncraft-test-socket-path-like-the-daemon",
        "visioncraft-test-links",
        "visioncraft-test-reports-of-finished-jobs",
        "visioncraft-test-unreachable-socket-is-a-user-error",
    ]

    /// Runs the ERT tests against `daemon`; the files they save go to
    /// `<daemon folder>/emacs`, which is returned with the output.
    func runERT(_ daemon: DaemonProcess, extra: [String: String] = [:]) async throws -> (ProcessOutput, String) {
        let emacs = try #require(emacsPath)
        let output = daemon.folder.file("emacs")
        try FileSystem.makeDirectories(output, permissions: 0o700)
        var environment = isolatedEnvironment(in: daemon.folder, extra: extra)
        environment["VISIONCRAFT_SOCKET"] = daemon.socketPath
        environment["VISIONCRAFT_TEST_OUTPUT"] = output
        let finalEnvironment = environment
        let result = try await offPool {
            try runProcess(
                emacs,
                ["--batch", "-Q", "-L", Self.folder, "-l", "visioncraft-tests.el", "-f", "ert-run-tests-batch-and-exit"],
                environment: finalEnvironment,
                timeout: TestTime.scaled(.seconds(180))
            )
        }
        return (result, output)
    }

    /// Checks that ERT reports `name` as passed (not skipped, not failed).
    func expectPassed(_ names: [String], in output: ProcessOutput) {
        let lines = output.standardError.split(separator: "\n")
        for name in names {
            #expect(lines.contains { $0.contains("passed") && $0.hasSuffix(")") && $0.contains(" \(name) (") },
                    "\(name) did not pass:\n\(output.standardError)")
        }
        #expect(output.standardError.contains(" 0 unexpected"), "\(output.standardError)")
    }

    /// The text between each `open` and the next `close` in `text`.
    func enclosed(in text: String, from open: String, to close: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let start = rest.firstRange(of: open) {
            rest = rest[start.upperBound...]
            guard let end = rest.firstRange(of: close) else { break }
            found.append(String(rest[..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    @Test func ertTestsPassAgainstTheEmulator() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let (result, output) = try await runERT(daemon)
        #expect(result.status == 0, "\(result.standardError)")
        expectPassed(Self.pureTests + Self.liveTests, in: result)

        // What the ERT tests saved, read again independently.
        let pictures = daemon.folder.file("Pictures/visioncraft/")
        let org = String(decoding: try FileSystem.readFile(output + "/generated.org"), as: UTF8.self)
        let orgPaths = enclosed(in: org, from: "[[file:", to: "]]")
        #expect(orgPaths.count == 3, "\(org)")
        #expect(Set(orgPaths).count == 3)
        for path in orgPaths { try expectSavedPNG(path, under: pictures) }
        #expect(org.hasPrefix("* Pictures\n[[file:"), "the links are where the command was called: \(org)")

        let markdown = String(decoding: try FileSystem.readFile(output + "/generated.md"), as: UTF8.self)
        let markdownPaths = enclosed(in: markdown, from: "](", to: ")")
        #expect(markdownPaths.count == 2, "\(markdown)")
        #expect(markdown.ranges(of: "![a red fox \\[watercolour\\]](").count == 2, "\(markdown)")
        for path in markdownPaths { try expectSavedPNG(path, under: pictures) }
    }

    @Test func cancellingASlowJobLeavesItCancelled() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":5000}"#])
        }
        defer { daemon.cleanUp() }
        let (result, _) = try await runERT(daemon, extra: ["VISIONCRAFT_TEST_SLOW": "1"])
        #expect(result.status == 0, "\(result.standardError)")
        expectPassed(["visioncraft-test-cancel-a-slow-job"], in: result)

        // The daemon agrees, asked on a connection of its own.
        let reply = try await offPool { () -> String in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"text":"a very slow snail"}}"#)
            return try client.readLine(timeout: TestTime.scaled(.seconds(10)))
        }
        let jobs = try #require(try parse(reply)["result"]?["jobs"]?.arrayValue)
        #expect(jobs.count == 1)
        #expect(jobs.first?["state"]?.stringValue == "cancelled")
        #expect(jobs.first?["images"]?.arrayValue?.contains { $0["path"] != nil } != true, "no image was saved")
    }

    @Test func byteCompilesWithoutWarningsAndHasAPackageHeader() async throws {
        let emacs = try #require(emacsPath)
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        // The .elc files go to the temporary folder, never beside the sources.
        let compile = """
            (setq byte-compile-error-on-warn t
                  byte-compile-dest-file-function
                  (lambda (file) (expand-file-name (concat (file-name-nondirectory file) "c") "\(temporary.path)")))
            """
        let compiled = try await offPool {
            try runProcess(
                emacs,
                ["--batch", "-Q", "-L", Self.folder, "--eval", compile, "-f", "batch-byte-compile",
                 Self.folder + "/visioncraft.el", Self.folder + "/visioncraft-tests.el"],
                environment: isolatedEnvironment(in: temporary),
                timeout: TestTime.scaled(.seconds(120))
            )
        }
        #expect(compiled.status == 0, "\(compiled.standardError)")
        #expect(!compiled.standardError.contains("Warning"), "\(compiled.standardError)")
        #expect(try FileSystem.status(temporary.file("visioncraft.elc")) != nil)
        #expect(try FileSystem.status(Self.folder + "/visioncraft.elc") == nil)

        // package.el reads the header (what package-install-file needs), and
        // the compiled file loads and provides the commands.
        let check = """
            (progn
              (require 'package)
              (with-temp-buffer
                (insert-file-contents "\(Self.folder)/visioncraft.el")
                (let ((desc (package-buffer-info)))
                  (princ (format "name=%s reqs=%S\\n" (package-desc-name desc) (package-desc-reqs desc)))))
              (load "\(temporary.file("visioncraft.elc"))" nil t)
              (princ (format "commands=%S\\n"
                             (mapcar #'commandp '(visioncraft-generate visioncraft-list visioncraft-cancel)))))
            """
        let header = try await offPool {
            try runProcess(emacs, ["--batch", "-Q", "--eval", check], environment: isolatedEnvironment(in: temporary), timeout: TestTime.scaled(.seconds(60)))
        }
        #expect(header.status == 0, "\(header.standardError)")
        #expect(header.standardOutput.contains("name=visioncraft reqs=((emacs (28 1)))"), "\(header.standardOutput)")
        #expect(header.standardOutput.contains("commands=(t t t)"), "\(header.standardOutput)")
    }
}
