import CommandLineKit
import JSON
import JSONRPC
import Posix

/// `vcctl rpc METHOD [PARAMS]`: a raw call for scripts.
struct RPCCommand: Command {
    static let methodArgument = Argument(name: "METHOD", help: "The method's name, such as daemon.status (rpc.discover lists them).")
    static let paramsArgument = Argument(name: "PARAMS", help: "Parameters as JSON, or '-' for standard input.", optional: true)
    static let name = "rpc"
    static let configuration = CommandConfiguration(
        abstract: "Call any method and print its result as JSON.",
        discussion: "PARAMS is a JSON object (or array), or '-' to read it from standard input. If the daemon answers with an error, its message goes to standard error and the exit status is 1; with --json the error object is also printed.",
        arguments: [
            Self.methodArgument,
            Self.paramsArgument,
        ]
    )

    let global: GlobalOptions
    let method: String
    let paramsText: String?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        method = arguments.argument(Self.methodArgument) ?? ""
        paramsText = arguments.argument(Self.paramsArgument)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let params = try readParams()
        let client = try global.connect(context)
        defer { client.close() }
        do {
            let result = try client.call(method, params: params)
            context.stdout.write(Output.json(result, context: context))
            return .success
        } catch .call(.server(let error)) {
            if global.json { context.stdout.write(Output.json(error.json, context: context)) }
            // PARAMS refused is a refused argument, as everywhere else.
            throw CommandFailure("\(method) failed: \(error.description)", exitCode: error.code == .invalidParams ? .usage : .failure)
        } catch {
            throw Failure.from(error)
        }
    }

    private func readParams() throws -> JSON? {
        guard let text = paramsText else { return nil }
        let bytes: [UInt8]
        if text == "-" {
            do {
                bytes = try FileDescriptor.standardInput.readAll(limit: 64 << 20)
            } catch {
                throw CommandFailure("cannot read PARAMS from standard input: \(error)", exitCode: .failure)
            }
        } else {
            bytes = Array(text.utf8)
        }
        let params: JSON
        do {
            params = try JSONParser.parse(bytes)
        } catch {
            throw UsageError("PARAMS is not valid JSON: \(error)")
        }
        switch params {
        case .object, .array: return params
        default: throw UsageError("PARAMS must be a JSON object or array, not \(params.typeName)")
        }
    }
}
