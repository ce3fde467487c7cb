import Client
import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// How client errors become vcctl exit codes (see vcctl(1), EXIT STATUS).
enum Failure {
    /// - Parameter flagsByField: the flag that set each parameter of the
    ///   call (`steps` -> `--steps`), for the daemon's invalid-params errors.
    static func from(_ error: DaemonClientError, flagsByField: [FieldFlag] = []) -> CommandFailure {
        switch error {
        case .unavailable, .startFailed, .socketMissing:
            return CommandFailure(error.description, exitCode: .unavailable)
        case .untrustedServer:
            return CommandFailure(error.description, exitCode: .noPermission)
        case .invalidPath:
            return CommandFailure(error.description, exitCode: .config)
        case .call(let callError):
            switch callError {
            case .timedOut: return CommandFailure(callError.description, exitCode: .temporaryFailure)
            case .malformedReply: return CommandFailure(callError.description, exitCode: .software)
            case .server(let rpcError) where rpcError.code == .invalidParams:
                return refusedArgument(rpcError, flagsByField: flagsByField)
            case .server(let rpcError):
                let configuration = rpcError.code == ApplicationError.configurationInvalid.code
                return CommandFailure(rpcError.description, exitCode: configuration ? .config : .failure)
            case .connectionClosed, .io: return CommandFailure(callError.description, exitCode: .unavailable)
            }
        }
    }

    /// The daemon refused an argument: a usage error (64), like one vcctl
    /// finds itself, naming the flag when the field came from one.
    private static func refusedArgument(_ error: RPCError, flagsByField: [FieldFlag]) -> CommandFailure {
        guard let path = error.data?["field"]?.stringValue else { return CommandFailure(error.description, exitCode: .usage) }
        // "params.init_images[0]" is the field init_images.
        let field = String((path.hasPrefix("params.") ? path.dropFirst(7) : Substring(path)).prefix { $0 != "[" && $0 != "." })
        // A daemon without `data.detail` has it in the message only.
        let prefix = "invalid params: \(path): "
        let detail = error.data?["detail"]?.stringValue ?? (error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : nil)
        guard let flag = flagsByField.first(where: { $0.field == field })?.flag, let detail else {
            return CommandFailure(error.description, exitCode: .usage)
        }
        return CommandFailure("\(flag) \(detail)", exitCode: .usage)
    }
}
