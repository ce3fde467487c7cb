import Client
import CommandLineKit
import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// `vcctl daemon start|stop|restart|reload|logs`.
struct DaemonCommand: Command {
    static let name = "daemon"
    static let configuration = CommandConfiguration(
        abstract: "Start, stop, restart or reload the daemon, or show its log.",
        subcommands: [Start.self, Stop.self, Restart.self, Reload.self, Logs.self]
    )

    init(_ arguments: ParsedArguments) throws {}

    func run(_ context: CommandContext) throws -> ExitCode { .usage }

    /// `vcctl daemon start`.
    struct Start: Command {
        static let name = "start"
        static let configuration = CommandConfiguration(
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
                context.stderr.write(TerminalText.visible("\(verb) visioncraftd \(status.version) (pid \(status.pid)) on \(status.socket)") + "\n")
            }
            return .success
        }
    }

    /// `vcctl daemon stop`.
    struct Stop: Command {
        static let name = "stop"
        static let configuration = CommandConfiguration(
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
                report(context, nil)
                return .success
            } catch {
                throw Failure.from(error)
            }
            defer { client.close() }
            let stopped = try Self.stop(client, global: global)
            report(context, stopped)
            return .success
        }

        /// What a stop did: the daemon's pid and the service manager that
        /// owns its socket, if one does (nil: none was running).
        struct Stopped {
            var pid: Int
            var serviceManager: String?
        }

        /// Asks the daemon on `client` to stop, and waits until it is gone:
        /// its socket file removed (its last act), or, for a socket a service
        /// manager owns (whose file stays), its process ended.
        static func stop(_ client: DaemonClient, global: GlobalOptions) throws -> Stopped {
            let status = try global.call(client, DaemonStatus.self, NoParameters())
            _ = try global.call(client, DaemonShutdown.self, NoParameters())
            // The daemon closes this connection once its requests in flight
            // are answered.
            _ = try? client.rpc.nextNotification(timeout: .seconds(30))
            let gone: () -> Bool
            if status.serviceManager != nil {
                gone = { !Signals.isRunning(Int32(status.pid)) }
            } else {
                let path = client.location.path
                gone = { (try? FileSystem.linkStatus(path)) == nil }
            }
            if !waitUntil(gone, timeout: .seconds(10)) {
                throw CommandFailure("visioncraftd (pid \(status.pid)) did not stop within 10 s", exitCode: .temporaryFailure)
            }
            return Stopped(pid: status.pid, serviceManager: status.serviceManager)
        }

        private func report(_ context: CommandContext, _ stopped: Stopped?) {
            if global.json {
                var result: JSONObject = ["stopped": .bool(stopped != nil)]
                if let stopped {
                    result["pid"] = .number(JSONNumber(stopped.pid))
                    result["service_manager"] = stopped.serviceManager.map(JSON.string) ?? .null
                }
                context.stdout.write(Output.json(.object(result), context: context))
            } else if let stopped {
                context.stderr.write("stopped visioncraftd (pid \(stopped.pid))" + Self.managerNote(stopped.serviceManager) + "\n")
            } else {
                context.stderr.write("visioncraftd is not running\n")
            }
        }

        /// What a stop of a daemon a service manager started means.
        static func managerNote(_ manager: String?) -> String {
            switch manager {
            case "systemd"?:
                "; its socket is systemd's, which starts it again at the next connection (systemctl --user stop visioncraftd.socket keeps it stopped)"
            case let manager?:
                "; its socket is \(manager)'s, which starts it again at the next connection"
            case nil:
                ""
            }
        }

        private static func waitUntil(_ condition: () -> Bool, timeout: Duration) -> Bool {
            let deadline = MonotonicInstant.now().advanced(by: timeout)
            while MonotonicInstant.now() < deadline {
                if condition() { return true }
                Output.pause(milliseconds: 2)
            }
            return false
        }
    }

    /// `vcctl daemon restart`: check, stop (if running), then start.
    struct Restart: Command {
        static let name = "restart"
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon if it runs, then start it again (new flags, a new binary, plugins reloaded); print its process id.",
            discussion: "The configuration is checked first (visioncraftd --check-config): with an error the running daemon stays and vcctl exits 78 naming the line. A daemon a service manager started (socket activation) is started again by it, through its socket."
        )

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            var running: DaemonClient?
            do {
                running = try DaemonClient.connect(global.clientOptions(context, autoStart: false))
            } catch .unavailable {
                running = nil
            } catch {
                throw Failure.from(error)
            }
            var stopped: Stop.Stopped?
            if let client = running {
                defer { client.close() }
                // What the next daemon will read: a service's own file, else the default.
                let status = try global.call(client, DaemonStatus.self, NoParameters())
                try check(context, configPath: status.serviceManager != nil ? status.configPath : nil)
                stopped = try Stop.stop(client, global: global)
            } else {
                try check(context, configPath: nil)
            }
            // A service manager starts the daemon again at this connection;
            // otherwise vcctl starts one (never one beside the service's).
            let managed = stopped?.serviceManager
            let client: DaemonClient
            do {
                client = try DaemonClient.connect(global.clientOptions(context, autoStart: managed == nil))
            } catch .unavailable where managed != nil {
                throw CommandFailure(
                    "stopped visioncraftd (pid \(stopped?.pid ?? 0)), but \(managed ?? "") no longer listens on its socket to start it again"
                        + (managed == "systemd" ? ": systemctl --user start visioncraftd.socket" : ""),
                    exitCode: .unavailable
                )
            } catch {
                throw Failure.from(error)
            }
            defer { client.close() }
            let status = try global.call(client, DaemonStatus.self, NoParameters())
            if global.json {
                let result: JSON = [
                    "pid": .number(JSONNumber(status.pid)), "previous_pid": stopped.map { .number(JSONNumber($0.pid)) } ?? .null,
                    "socket": .string(status.socket), "service_manager": status.serviceManager.map(JSON.string) ?? .null,
                ]
                context.stdout.write(Output.json(result, context: context))
            } else {
                context.stdout.write("\(status.pid)\n")
                let before = stopped.map { "pid \($0.pid) -> " } ?? "was not running; "
                context.stderr.write(TerminalText.visible("restarted visioncraftd \(status.version) (\(before)pid \(status.pid)) on \(status.socket)"
                    + (status.serviceManager.map { " by \($0)" } ?? "")) + "\n")
            }
            return .success
        }

        /// The next daemon's configuration, before anything is stopped.
        private func check(_ context: CommandContext, configPath: String?) throws {
            if let problem = DaemonClient.checkDaemonConfiguration(for: global.clientOptions(context), configPath: configPath) {
                throw CommandFailure("not restarting: \(problem)", exitCode: .config)
            }
        }
    }

    /// `vcctl daemon reload`: the daemon reads its configuration file again.
    struct Reload: Command {
        static let name = "reload"
        static let configuration = CommandConfiguration(
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
            context.stdout.write(report.changed.map { TerminalText.visible($0) + "\n" }.joined())
            let path = TerminalText.visible(report.path)
            context.stderr.write(report.changed.isEmpty ? "reloaded \(path): nothing changed\n" : "reloaded \(path)\n")
            if !report.restartNeeded.isEmpty {
                context.stderr.write("applied after a restart: \(TerminalText.visible(report.restartNeeded.joined(separator: ", "))) (vcctl daemon restart)\n")
            }
            return .success
        }
    }

    /// `vcctl daemon logs`: the end of the log of a daemon vcctl started.
    struct Logs: Command {
        static let linesOption = Option(long: "lines", short: "n", valueName: "N", help: "How many lines, 1 to 100000 (default 50).")
        static let name = "logs"
        static let configuration = CommandConfiguration(
            abstract: "Print the end of the log of the daemon that vcctl starts ($XDG_STATE_HOME/visioncraft/visioncraftd.log).",
            discussion: "A daemon run by systemd logs to the journal instead: journalctl --user -u visioncraftd.",
            options: [Self.linesOption]
        )

        let global: GlobalOptions
        let lines: Int

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            lines = try arguments.int(Self.linesOption, in: 1...100_000) ?? 50
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
            if global.json {
                // One value: the file and its last lines, each without its newline.
                let kept = Array(tail.prefix(tail.count - (bytes.last == 0x0A ? 1 : 0)))
                let result: JSON = ["path": .string(path), "lines": .array(kept.map { .string(String(decoding: $0, as: UTF8.self)) })]
                context.stdout.write(Output.json(result, context: context))
                return .success
            }
            // The log quotes upstream messages: each line made visible, its end kept.
            context.stdout.write(TerminalText.visible(String(decoding: Array(tail.joined(separator: [0x0A])), as: UTF8.self), keepingLineBreaks: true))
            return .success
        }
    }
}
