import CommandLineKit
import MCP
import Posix

/// `vcctl mcp`: the queue as a Model Context Protocol server on standard
/// input and output, for AI assistants and editors.
struct MCPCommand: Command {
    static let name = "mcp"
    static let configuration = CommandConfiguration(
        abstract: "Serve the queue to AI assistants: a Model Context Protocol server on standard input and output.",
        discussion: "One JSON-RPC message per line; logs go to standard error; exits when standard input closes. Speaks the handshake era (initialize: 2025-06-18, 2025-11-25) and 2026-07-28 (server/discover, version in each request's _meta; tasks extension). Tools: generate_image, get_job, wait_job, cancel_job, retry_job, list_jobs, search_history, list_backends, list_models. A client of the daemon like any vcctl command (started when none answers unless --no-start): it never reads the API key."
    )

    let global: GlobalOptions

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let toolbox = MCPImageToolbox(options: global.clientOptions(context))
        let server = MCPServer(toolbox: toolbox, output: MCPOutput(.standardOutput)) { line in
            try? FileDescriptor.standardError.writeAll("vcctl: " + line + "\n")
        }
        server.serve(input: .standardInput)
        return .success
    }
}
