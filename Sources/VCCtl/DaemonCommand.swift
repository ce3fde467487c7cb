import Client
import CommandLineKit
import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// `vcctl daemon start|stop|restart|reload|logs`.
struct DaemonCommand: Command {
    static let configuration = CommandConfiguration(
        name: "daemon",
        abstract: "Start, stop, restart or reload the daemon, or show its log.",
        subcommands: [Start.self, Stop.self, Restart.self, Reload.self, Logs.self]
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

    /// `vcctl daemon restart`: stop (if running), then start.
    struct Restart: Command {
        static let configuration = CommandConfiguration(
            name: "restart",
            abstract: "Stop the daemon if it runs, then start it again (new flags, a new binary, plugins reloaded); print its process id."
        )

        let arguments: ParsedArguments

        init(_ arguments: ParsedArguments) throws {
            self.arguments = arguments
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            _ = try Stop(arguments).run(context)
            return try Start(arguments).run(context)
        }
    }

    /// `vcctl daemon reload`: the daemon reads its configuration file again.
    struct Reload: Command {
        static let configuration = CommandConfiguration(
            name: "reload",
            abstract: "Have the daemon read its configuration file again (as SIGHUP does); print the keys that changed.",
            discussion: "New jobs get the new defaults at once; other keys need vcctl daemon restart. A file with an error changes nothing (exit 78)."
        )

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let client = try global.connect(context, autoStart: false)
            defer { client.close() }
            let report = try global.call(client, DaemonReload.self, NoParameters())
            if global.json {
                context.stdout.write(Output.json(report.result, context: context))
                return .success
            }
            context.stdout.write(report.changed.map { $0 + "\n" }.joined())
            context.stderr.write(report.changed.isEmpty ? "reloaded \(report.path): nothing changed\n" : "reloaded \(report.path)\n")
            if !report.restartNeeded.isEmpty {
                context.stderr.write("applied after a restart: \(report.restartNeeded.joined(separator: ", ")) (vcctl daemon restart)\n")
            }
            return .success
        }
    }

    /// `vcctl daemon logs`: the end of the log of a daemon vcctl started.
    struct Logs: Command {
        static let configuration = CommandConfiguration(
            name: "logs",
            abstract: "Print the end of the log of the daemon that vcctl starts ($XDG_STATE_HOME/visioncraft/visioncraftd.log).",
            discussion: "A daemon run by systemd logs to the journal instead: journalctl --user -u visioncraftd.",
            options: [Option(long: "lines", short: "n", valueName: "N", help: "How many lines, 1 to 100000 (default 50).")]
        )

        let global: GlobalOptions
        let lines: Int

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            lines = try arguments.int("lines", in: 1...100_000) ?? 50
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let path = DaemonClient.logPath(for: global.clientOptions(context))
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readFile(path, limit: 64 << 20)
            } catch {
                throw CommandFailure("no log at \(path) (\(error)); a daemon run by systemd logs to the journal: journalctl --user -u visioncraftd", exitCode: .failure)
            }
            let all = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            let tail = all.suffix(lines + (bytes.last == 0x0A ? 1 : 0))
            context.stdout.write(String(decoding: Array(tail.joined(separator: [0x0A])), as: UTF8.self))
            return .success
        }
    }
}
