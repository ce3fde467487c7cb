import CommandLineKit
import Daemon
import JSON
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// The daemon run in-process on a thread of its own.
@Suite struct DaemonLifecycleTests {
    @Test func servesUntilAskedToStopThenCleansUp() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var options = DaemonOptions()
        options.socketPath = folder.file("run/d.sock")
        let daemon = Daemon(options: options, environment: Environment(["HOME": folder.path]), log: try Logger(file: folder.file("log"), minimumLevel: .debug))
        let exit = ThreadCondition<ExitCode?>(nil)
        let runner = try OSThread.spawn(name: "daemon") {
            let status = daemon.run()
            exit.update { $0 = status }
        }
        defer { runner.join() }
        #expect(try await offPool { daemon.wait(for: .serving, timeout: TestTime.scaled(.seconds(60))) })

        let status = try await offPool {
            let client = RPCClient(descriptor: try UnixSocket.connect(to: folder.file("run/d.sock")))
            defer { client.close() }
            return try client.call(DaemonStatus.self, NoParameters())
        }
        #expect(status.socket == folder.file("run/d.sock"))
        #expect(status.connections == 1)

        #expect(daemon.requestStop(.signal(.terminate)) == false)
        #expect(daemon.requestStop(.signal(.terminate)) == true, "a second request reports a stop under way")
        #expect(try await offPool { exit.wait(timeout: TestTime.scaled(.seconds(15))) { $0 != nil } })
        #expect(exit.read { $0 } == .success)
        #expect(try FileSystem.linkStatus(folder.file("run/d.sock")) == nil)
        let log = String(decoding: try FileSystem.readFile(folder.file("log")), as: UTF8.self)
        #expect(log.contains("listening on"))
        #expect(log.contains("stopping: received SIGTERM"))
        #expect(log.contains("stopped"))
    }

    @Test func shutdownMethodStopsTheDaemon() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var options = DaemonOptions()
        options.socketPath = folder.file("d.sock")
        let daemon = Daemon(options: options, environment: Environment(["HOME": folder.path]), log: Logger(minimumLevel: .error))
        let exit = ThreadCondition<ExitCode?>(nil)
        let runner = try OSThread.spawn(name: "daemon") {
            let status = daemon.run()
            exit.update { $0 = status }
        }
        defer { runner.join() }
        #expect(try await offPool { daemon.wait(for: .serving, timeout: TestTime.scaled(.seconds(60))) })
        let result = try await offPool {
            let client = RPCClient(descriptor: try UnixSocket.connect(to: folder.file("d.sock")))
            return try client.call(DaemonShutdown.self, NoParameters())
        }
        #expect(result.stopping)
        #expect(try await offPool { exit.wait(timeout: TestTime.scaled(.seconds(15))) { $0 != nil } })
        #expect(exit.read { $0 } == .success)
    }

    @Test func anUnsafeFolderStopsTheStartWithItsStatus() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.setPermissions(folder.path, 0o755)
        var options = DaemonOptions()
        options.socketPath = folder.file("d.sock")
        let log = try Logger(file: folder.file("log"), minimumLevel: .error)
        let daemon = Daemon(options: options, environment: Environment(["HOME": folder.path]), log: log)
        #expect(daemon.run() == .config)
        #expect(String(decoding: try FileSystem.readFile(folder.file("log")), as: UTF8.self).contains("refusing the socket folder"))
        #expect(daemon.wait(for: .stopped, timeout: .zero))
    }

    @Test func logLinesAreSingleLines() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let log = try Logger(file: folder.file("log"), minimumLevel: .info)
        log.debug("hidden")
        log.info("two\nlines")
        log.error("last")
        let lines = String(decoding: try FileSystem.readFile(folder.file("log")), as: UTF8.self).split(separator: "\n")
        try #require(lines.count == 2, "\(lines)")
        #expect(lines[0].hasSuffix("info: two lines"))
        #expect(lines[1].contains("visioncraftd["))
        #expect(lines[1].hasSuffix("error: last"))
        #expect(Logger.Level(name: "warning") == .warning)
        #expect(Logger.Level(name: "loud") == nil)
    }
}
