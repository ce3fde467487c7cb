import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Node.js: the first `node` on PATH, or nil.
private let nodePath = ProcessEnvironment.findExecutable(named: "node")

/// The VS Code extension (`Integrations/vscode`): its socket client and job
/// logic are plain Node modules, so Node's test runner drives them against
/// two real daemons on their embedded emulators (a quick one, and a slow one
/// to cancel a running job); the .vsix packer is checked by reading what it
/// writes.
@Suite(.enabled(if: nodePath != nil, "needs node (Node.js 18 or later; Debian: nodejs)"))
struct VSCodeTests {
    static let folder = ManualPage.repositoryRoot + "/Integrations/vscode"

    /// The `node --test` results, TAP: each top-level test's name and
    /// whether it passed, was skipped or failed.
    struct TestReport {
        var passed: [String] = []
        var skipped: [String] = []
        var failed: [String] = []

        init(tap: String) {
            for line in tap.split(separator: "\n") {
                for (prefix, isOK) in [("ok ", true), ("not ok ", false)] where line.hasPrefix(prefix) {
                    // "ok 3 - name # SKIP reason"
                    guard let dash = line.firstRange(of: " - ") else { continue }
                    var name = String(line[dash.upperBound...])
                    let skip = name.firstRange(of: " # SKIP")
                    if let skip { name = String(name[..<skip.lowerBound]) }
                    if !isOK { failed.append(name) } else if skip != nil { skipped.append(name) } else { passed.append(name) }
                }
            }
        }
    }

    @Test func nodeTestsPassAgainstLiveDaemons() async throws {
        let node = try #require(nodePath)
        let quick = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { quick.cleanUp() }
        let slow = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0", "--emulator-faults", #"{"latency_ms":5000}"#])
        }
        defer { slow.cleanUp() }
        let environment = isolatedEnvironment(
            in: quick.folder, extra: ["VISIONCRAFT_SOCKET": quick.socketPath, "VISIONCRAFT_SLOW_SOCKET": slow.socketPath]
        )
        let run = try await offPool {
            try runProcess(node, ["--test", Self.folder + "/test/"], environment: environment, timeout: TestTime.scaled(.seconds(180)))
        }
        let report = TestReport(tap: run.standardOutput)
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        #expect(report.failed.isEmpty, "\(report.failed)")
        #expect(report.skipped.isEmpty, "every live test ran: \(report.skipped)")
        #expect(report.passed.count >= 20, "\(report.passed)")
        for live in [
            "live: generate with 2 images gives 2 saved PNG files and Markdown links",
            "live: cancelling a slow running job ends in state cancelled",
        ] {
            #expect(report.passed.contains(live), "\(live) did not pass:\n\(run.standardOutput)")
        }

        // The daemons agree, asked on connections of their own.
        let generated = try await Self.jobs(matching: "a lighthouse at dusk", on: quick)
        #expect(generated.count == 1)
        #expect(generated.first?["state"]?.stringValue == "succeeded")
        let paths = generated.first?["images"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths.count == 2)
        for path in paths { try expectSavedPNG(path, under: quick.folder.file("Pictures/visioncraft/")) }
        let cancelled = try await Self.jobs(matching: "a very slow fox", on: slow)
        #expect(cancelled.map { $0["state"]?.stringValue } == ["cancelled"])
    }

    /// The jobs whose prompt matches `text`, from `job.list`.
    static func jobs(matching text: String, on daemon: DaemonProcess) async throws -> [JSON] {
        let reply = try await offPool { () -> String in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"text":"\#(text)"}}"#)
            return try client.readLine(timeout: TestTime.scaled(.seconds(10)))
        }
        return try #require(try parse(reply)["result"]?["jobs"]?.arrayValue, "\(reply)")
    }

    @Test func theManifestNamesTheCommandsTheExtensionRegisters() throws {
        let manifest = try parse(String(decoding: try FileSystem.readFile(Self.folder + "/package.json"), as: UTF8.self))
        #expect(manifest["main"]?.stringValue == "./extension.js")
        #expect(manifest["contributes"]?["configuration"]?["properties"]?["visioncraft.socketPath"] != nil)
        let commands = manifest["contributes"]?["commands"]?.arrayValue?.compactMap { $0["command"]?.stringValue } ?? []
        #expect(commands.contains("visioncraft.generateFromSelection"))
        let source = String(decoding: try FileSystem.readFile(Self.folder + "/extension.js"), as: UTF8.self)
        for command in commands {
            #expect(source.contains("registerCommand('\(command)'"), "\(command) is in package.json but never registered")
            let activation = manifest["activationEvents"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(activation.contains("onCommand:\(command)"), "\(command) does not activate the extension")
        }
    }

    /// pack.sh without zip on PATH (python3's zipfile instead): the archive
    /// has the layout VS Code installs from, and the manifest's identity.
    @Test func packWritesAVSIXWithPython() async throws {
        let python = try #require(ProcessEnvironment.findExecutable(named: "python3"))
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let bin = temporary.file("bin")
        try FileSystem.makeDirectories(bin, permissions: 0o700)
        for tool in ["sh", "sed", "head", "mktemp", "mkdir", "cp", "cat", "rm", "dirname"] {
            let path = try #require(ProcessEnvironment.findExecutable(named: tool), "\(tool) is missing")
            #expect(symlink(path, "\(bin)/\(tool)") == 0)
        }
        // The interpreter itself, not a wrapper such as pyenv's shim (which needs bash).
        let interpreter = try await offPool { try runProcess(python, ["-c", "import sys; print(sys.executable)"]) }
        #expect(symlink(String(interpreter.standardOutput.split(separator: "\n").first ?? ""), "\(bin)/python3") == 0)
        let vsix = temporary.file("out.vsix")
        let environment = isolatedEnvironment(in: temporary, extra: ["PATH": bin])
        let packed = try await offPool {
            try runProcess(Self.folder + "/pack.sh", [vsix], environment: environment, timeout: TestTime.scaled(.seconds(60)))
        }
        #expect(packed.status == 0, "\(packed.standardOutput)\n\(packed.standardError)")
        #expect(packed.standardOutput == vsix + "\n")

        let listing = """
            import sys, zipfile, xml.etree.ElementTree as tree
            archive = zipfile.ZipFile(sys.argv[1])
            print("\\n".join(sorted(archive.namelist())))
            manifest = tree.fromstring(archive.read("extension.vsixmanifest"))
            identity = manifest.find(".//{http://schemas.microsoft.com/developer/vsx-schema/2011}Identity")
            print("identity", identity.get("Publisher"), identity.get("Id"), identity.get("Version"))
            """
        let read = try await offPool { try runProcess(python, ["-c", listing, vsix], timeout: TestTime.scaled(.seconds(30))) }
        #expect(read.status == 0, "\(read.standardError)")
        let lines = read.standardOutput.split(separator: "\n").map(String.init)
        for entry in ["[Content_Types].xml", "extension.vsixmanifest", "extension/package.json", "extension/extension.js",
                      "extension/lib/client.js", "extension/lib/generate.js"] {
            #expect(lines.contains(entry), "\(entry) missing from \(lines)")
        }
        #expect(!lines.contains { $0.hasPrefix("extension/test") }, "tests are not shipped: \(lines)")
        #expect(lines.last == "identity visioncraft visioncraft 0.1.0", "\(lines)")
    }
}
