import Client
import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// How client errors become vcctl exit codes (see vcctl(1), EXIT STATUS).
enum Failure {
    static func from(_ error: DaemonClientError) -> CommandFailure {
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
            case .server(let rpcError):
                let configuration = rpcError.code == ApplicationError.configurationInvalid.code
                return CommandFailure(rpcError.description, exitCode: configuration ? .config : .failure)
            case .connectionClosed, .io: return CommandFailure(callError.description, exitCode: .unavailable)
            }
        }
    }
}
