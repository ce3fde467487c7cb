import Client
import CommandLineKit
import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// `vcctl daemon start|stop`.
struct DaemonCommand: Command {
    static let configuration = CommandConfiguration(
        name: "daemon",
        abstract: "Start or stop the daemon.",
        subcommands: [Start.self, Stop.self]
    )

    init(_ arguments: ParsedArguments) throws {}

    func run(_ context: CommandContext) throws -> ExitCode { .usage }

    /// `vcctl daemon start`.
    struct Start: Command {
        static let configuration = CommandConfiguration(
            name: "start",
            abstract: "Start the daemon in the background unless one answers; print its process id."
        )

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let client = try global.connect(context, autoStart: true)
            defer { client.close() }
            let status = try global.call(client, DaemonStatus.self, NoParameters())
            if global.json {
                let result: JSON = [
                    "pid": .number(JSONNumber(status.pid)),
                    "started": .bool(client.startedDaemon),
                    "socket": .string(status.socket),
                ]
                context.stdout.write(Output.json(result, context: context))
            } else {
                context.stdout.write("\(status.pid)\n")
                let verb = client.startedDaemon ? "started" : "already running:"
                context.stderr.write("\(verb) visioncraftd \(status.version) (pid \(status.pid)) on \(status.socket)\n")
            }
            return .success
        }
    }

    /// `vcctl daemon stop`.
    struct Stop: Command {
        static let configuration = CommandConfiguration(
            name: "stop",
            abstract: "Stop the daemon gracefully and wait until it is gone; succeed if none runs."
        )

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let client: DaemonClient
            do {
                client = try DaemonClient.connect(global.clientOptions(context, autoStart: false))
            } catch .unavailable {
                report(context, stopped: false, pid: nil)
                return .success
            } catch {
                throw Failure.from(error)
            }
            defer { client.close() }
            let pid = try global.call(client, DaemonStatus.self, NoParameters()).pid
            _ = try global.call(client, DaemonShutdown.self, NoParameters())
            // The daemon closes this connection once its requests in flight
            // are answered, then removes the socket file.
            _ = try? client.rpc.nextNotification(timeout: .seconds(30))
            if !waitUntilGone(client.location.path, timeout: .seconds(10)) {
                throw CommandFailure("visioncraftd (pid \(pid)) did not stop within 10 s", exitCode: .temporaryFailure)
            }
            report(context, stopped: true, pid: pid)
            return .success
        }

        private func report(_ context: CommandContext, stopped: Bool, pid: Int?) {
            if global.json {
                var result: JSONObject = ["stopped": .bool(stopped)]
                if let pid { result["pid"] = .number(JSONNumber(pid)) }
                context.stdout.write(Output.json(.object(result), context: context))
            } else if let pid {
                context.stderr.write("stopped visioncraftd (pid \(pid))\n")
            } else {
                context.stderr.write("visioncraftd is not running\n")
            }
        }

        /// Waits until the socket file is gone (the daemon's last act).
        private func waitUntilGone(_ path: String, timeout: Duration) -> Bool {
            let deadline = MonotonicInstant.now().advanced(by: timeout)
            while MonotonicInstant.now() < deadline {
                if (try? FileSystem.linkStatus(path)) == nil { return true }
                Output.pause(milliseconds: 2)
            }
            return false
        }
    }
}
