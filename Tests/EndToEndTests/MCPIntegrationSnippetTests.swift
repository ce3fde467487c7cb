import Configuration
import JSON
import Posix
import Testing
import TestSupport

/// The emacs executable, for the mcp.el snippet.
private let emacsPath = ProcessEnvironment.findExecutable(named: "emacs")

/// `Integrations/mcp/`: each client's snippet is valid for its client, and
/// the command it names is a `vcctl mcp` that answers `initialize` against a
/// daemon (the snippet's own arguments, run as the client would run them).
@Suite struct MCPIntegrationSnippetTests {
    static let folder = ManualPage.repositoryRoot + "/Integrations/mcp"

    /// A snippet file and where its server entry sits.
    struct Snippet: Sendable, CustomStringConvertible {
        let file: String
        let path: [String]
        /// The `type` the client requires in the entry, if any.
        let type: String?
        var description: String { file }
    }

    static let jsonSnippets = [
        Snippet(file: "claude-code.mcp.json", path: ["mcpServers", "visioncraft"], type: "stdio"),
        Snippet(file: "claude_desktop_config.json", path: ["mcpServers", "visioncraft"], type: nil),
        Snippet(file: "vscode-mcp.json", path: ["servers", "visioncraft"], type: "stdio"),
        Snippet(file: "cursor-mcp.json", path: ["mcpServers", "visioncraft"], type: nil),
        Snippet(file: "zed-settings.json", path: ["context_servers", "visioncraft"], type: nil),
        Snippet(file: "gemini-settings.json", path: ["mcpServers", "visioncraft"], type: nil),
        Snippet(file: "mcphub-servers.json", path: ["mcpServers", "visioncraft"], type: nil),
    ]

    func text(_ file: String) throws -> String {
        String(decoding: try FileSystem.readFile(Self.folder + "/" + file), as: UTF8.self)
    }

    /// The command and arguments of a JSON snippet's server entry.
    func command(of snippet: Snippet) throws -> [String] {
        var entry = try JSONParser.parse(Array(try text(snippet.file).utf8))
        for key in snippet.path {
            entry = try #require(entry[key], "\(snippet.file) has no '\(key)'")
        }
        if let type = snippet.type {
            #expect(entry["type"]?.stringValue == type, "\(snippet.file): the client needs type '\(type)'")
        }
        #expect(entry["env"].map { $0.objectValue?.isEmpty == true } ?? true, "\(snippet.file): no key or anything else in the environment")
        let command = try #require(entry["command"]?.stringValue, "\(snippet.file) has no command")
        let arguments = try #require(entry["args"]?.arrayValue, "\(snippet.file) has no args").compactMap(\.stringValue)
        return [command] + arguments
    }

    /// Runs `command` (its first word `vcctl`, which the built one stands
    /// in for) against a daemon and checks that it speaks MCP.
    func expectAnswersInitialize(_ command: [String], from file: String) async throws {
        #expect(command.first == "vcctl", "\(file): the command is vcctl")
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator"]) }
        defer { daemon.cleanUp() }
        let mcp = try MCPClientProcess(
            arguments: [], command: Array(command.dropFirst()),
            environment: isolatedEnvironment(in: daemon.folder, extra: ["VISIONCRAFT_SOCKET": daemon.socketPath]),
            errorLog: daemon.folder.file("mcp.stderr")
        )
        defer { mcp.kill() }
        let opened = try await offPool { try mcp.initialize() }
        #expect(opened["result"]?["serverInfo"]?["name"] == "visioncraft", "\(file): \(opened)")
        let tools = try await offPool { try mcp.request("tools/list").answer }
        #expect(tools["result"]?["tools"]?.arrayValue?.first?["name"] == "generate_image", "\(file): \(tools)")
    }

    @Test(arguments: jsonSnippets)
    func eachJSONSnippetStartsVcctlMCP(snippet: Snippet) async throws {
        try await expectAnswersInitialize(try command(of: snippet), from: snippet.file)
    }

    @Test func theCodexSnippetIsATOMLTable() async throws {
        let file = try ConfigFile(parsing: try text("codex-config.toml"))
        let command = try #require(file.entry("mcp_servers.visioncraft.command")?.value)
        let arguments = try #require(file.entry("mcp_servers.visioncraft.args")?.value)
        guard case .string(let executable) = command, case .strings(let words) = arguments else {
            Issue.record("codex-config.toml: command must be a string and args a list of strings")
            return
        }
        try await expectAnswersInitialize([executable] + words, from: "codex-config.toml")
    }

    @Test(.enabled(if: emacsPath != nil, "needs Emacs (Debian: emacs-nox)"))
    func theMcpElSnippetAddsOneServerWhenMcpHubLoads() async throws {
        let emacs = try #require(emacsPath)
        let file = Self.folder + "/mcp-el.el"
        // mcp-hub's variable holds another server already: the snippet adds to it.
        let script = """
            (progn (defvar mcp-hub-servers '(("other" . (:command "other")))) (load "\(file)" nil t)
                   (princ (if (assoc "visioncraft" mcp-hub-servers) "early" "waits"))
                   (provide 'mcp-hub)
                   (let ((entry (cdr (assoc "visioncraft" mcp-hub-servers))))
                     (princ (format " %d %s" (length mcp-hub-servers)
                                    (mapconcat #'identity (cons (plist-get entry :command) (plist-get entry :args)) " ")))))
            """
        let output = try await offPool { try runProcess(emacs, ["--batch", "-Q", "--eval", script], timeout: TestTime.scaled(.seconds(60))) }
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput == "waits 2 vcctl mcp", "\(output.standardOutput) \(output.standardError)")
        let words = output.standardOutput.split(separator: " ").dropFirst(2).map(String.init)
        try await expectAnswersInitialize(words, from: "mcp-el.el")
    }

    /// The README lists every snippet, and every snippet is tested here.
    @Test func theReadmeNamesEverySnippetAndEveryFileIsTested() throws {
        let readme = try text("README.md")
        let files = try #require(try FileSystem.contentsOfDirectory(Self.folder)).filter { $0 != "README.md" }
        let tested = Set(Self.jsonSnippets.map(\.file) + ["codex-config.toml", "mcp-el.el"])
        #expect(Set(files) == tested, "a snippet without a test, or a test without its file")
        for file in files {
            #expect(readme.contains("`\(file)`"), "Integrations/mcp/README.md does not name \(file)")
        }
    }
}
