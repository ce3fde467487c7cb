import JSON
import Posix
import Testing
import TestSupport

/// Text that did not come from vcctl (names, messages, paths) cannot drive
/// the terminal: every control is shown, not sent; --json keeps it exact.
@Suite struct TerminalEscapeTests {
    /// OSC 52 (writes the clipboard), BEL, clear screen, a carriage return,
    /// and CSI as one C1 character.
    static let hostile = "\u{1B}]52;c;aGk=\u{07}\u{1B}[2J\r\u{9B}2J\u{7F}"

    /// A failed job as job.get returns it, every text holding `hostile`.
    static let job: JSON = [
        "id": "01JFAKE", "state": "failed", "image_count": 1, "images_done": 1, "attempts": 2,
        "params": [
            "prompt": .string("a fox" + hostile), "negative_prompt": "", "model": .string("model" + hostile),
            "sampler": .string("Euler" + hostile), "image_count": 1, "priority": 0, "labels": [.string("label" + hostile)],
        ],
        "images": [["index": 0, "state": "saved", "path": .string("/out/fox" + hostile + ".png")]],
        "error": ["kind": "invalid", "message": .string("bad prompt" + hostile)],
        "created_at": "2026-12-01T10:00:00.000Z", "updated_at": "2026-12-01T10:00:01.000Z", "finished_at": "2026-12-01T10:00:01.000Z",
    ]

    static let replies: [String: JSON] = [
        "models.list": ["result": ["models": [.string("model" + hostile), "anything_V5"]]],
        "samplers.list": ["result": ["samplers": [.string("Euler" + hostile)]]],
        "plugins.list": ["result": [
            "plugins": [
                ["name": .string("up" + hostile), "path": "/p/up.so", "loaded": true, "version": .string("1" + hostile),
                 "description": .string("d" + hostile), "hooks": ["image"], "abi": "1.0"],
                ["name": .string("broken" + hostile), "path": "/p/b.so", "loaded": false, "hooks": [], "error": .string("cannot load" + hostile)],
            ],
            "folders": [.string("/p" + hostile)],
        ]],
        "job.get": ["result": job],
        "job.wait": ["result": ["job": job, "timed_out": false]],
        "job.cancel": ["error": ["code": -32001, "message": .string("refused" + hostile), "data": ["reason": "job_wrong_state"]]],
    ]

    /// Runs vcctl on a pseudo-terminal (util-linux's script), NO_COLOR so
    /// that vcctl's own colours are off too; what the terminal got, its
    /// line ends as the program wrote them.
    func onTerminal(_ arguments: [String], fake: FakeDaemon) async throws -> String {
        let command = ([try BuiltProducts.path("vcctl"), "--socket", fake.socketPath, "--no-start"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        var environment = isolatedEnvironment(in: fake.folder)
        environment["TERM"] = "xterm"
        environment["NO_COLOR"] = "1"
        let shellEnvironment = environment
        let output = try await offPool { try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], environment: shellEnvironment) }
        return output.standardOutput.replacing("\r\n", with: "\n")
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func noControlFromTheDaemonReachesTheTerminal() async throws {
        let fake = try FakeDaemon(replies: Self.replies)
        defer { fake.stop() }
        let commands: [[String]] = [
            ["models"], ["samplers"], ["plugins"], ["get", "01JFAKE"], ["-q", "get", "01JFAKE"], ["wait", "01JFAKE"], ["cancel", "01JFAKE"], ["__complete", "models"],
        ]
        for command in commands {
            let shown = try await onTerminal(command, fake: fake)
            let controls = shown.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
            #expect(controls.isEmpty, "\(command): \(shown.debugDescription)")
            #expect(shown.contains(#"\x1b]52;c;aGk=\x07\x1b[2J\r\u{9b}2J\x7f"#), "\(command) shows the controls: \(shown.debugDescription)")
        }
        let wait = try await onTerminal(["wait", "01JFAKE"], fake: fake)
        #expect(wait.contains(#"job 01JFAKE failed: bad prompt\x1b]52"#), "\(wait.debugDescription)")
    }

    @Test func jsonKeepsTheExactText() async throws {
        let fake = try FakeDaemon(replies: Self.replies)
        defer { fake.stop() }
        let socket = ["--socket", fake.socketPath, "--no-start"]
        let models = try await vcctl(socket + ["--json", "models"], folder: fake.folder)
        #expect(try JSONParser.parse(models.standardOutput)[0]?.stringValue == "model" + Self.hostile)
        let job = try await vcctl(socket + ["--json", "get", "01JFAKE"], folder: fake.folder)
        let parsed = try JSONParser.parse(job.standardOutput)
        #expect(parsed["error"]?["message"]?.stringValue == "bad prompt" + Self.hostile)
        #expect(parsed["params"]?["labels"]?[0]?.stringValue == "label" + Self.hostile)
    }
}
