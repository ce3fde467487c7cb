import Backends
import CommandLineKit
@testable import Daemon
import HTTPClient
import JSON
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// Runs an in-process daemon with `options` on a thread of its own, calls
/// `body` with a connected client, then stops it.
func withInProcessDaemon<T: Sendable>(
    _ configure: (inout DaemonOptions) -> Void = { _ in },
    environment: [String: String] = [:],
    _ body: @escaping @Sendable (RPCClient, TemporaryDirectory) throws -> T
) async throws -> T {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    var options = DaemonOptions()
    options.socketPath = folder.file("d.sock")
    configure(&options)
    let daemon = Daemon(
        options: options, environment: Environment(environment.merging(["HOME": folder.path]) { given, _ in given }),
        log: try Logger(file: folder.file("log"), minimumLevel: .debug)
    )
    // Starting, waiting and joining block: never on the cooperative pool.
    let runner = try await offPool {
        let exit = ThreadCondition<ExitCode?>(nil)
        let runner = try OSThread.spawn(name: "daemon") {
            let status = daemon.run()
            exit.update { $0 = status }
        }
        guard daemon.wait(for: .serving, timeout: TestTime.scaled(.seconds(60))), exit.read({ $0 }) == nil else {
            runner.join()
            throw TestFailure("the daemon did not start: \(String(decoding: (try? FileSystem.readFile(folder.file("log"))) ?? [], as: UTF8.self))")
        }
        return runner
    }
    let outcome = try await offPool { () -> Result<T, any Error> in
        Result {
            let client = RPCClient(descriptor: try UnixSocket.connect(to: folder.file("d.sock")))
            defer { client.close() }
            return try body(client, folder)
        }
    }
    try await offPool {
        daemon.requestStop(.signal(.terminate))
        runner.join()
    }
    return try outcome.get()
}

/// The server error of a call, or nil when it succeeded.
func serverError(_ body: () throws -> Void) -> RPCError? {
    do {
        try body()
        return nil
    } catch RPCClientError.server(let error) {
        return error
    } catch {
        return RPCError(code: .internalError, message: "not a server error: \(error)")
    }
}

@Suite struct UpstreamSelectionTests {
    let environment: [String: String] = ["VISIONCRAFT_UPSTREAM": "http://from-env:8000/"]

    @Test func theFlagWinsThenTheEnvironmentThenTheDocumentedHost() throws {
        #expect(try UpstreamSelection.resolve(flag: "https://api.example/v1/") { environment[$0] } == .service(baseURL: "https://api.example/v1"))
        #expect(try UpstreamSelection.resolve(flag: nil) { environment[$0] } == .service(baseURL: "http://from-env:8000"))
        #expect(try UpstreamSelection.resolve(flag: nil) { _ in nil } == .service(baseURL: "http://loplequ.domcloud.io"))
        #expect(try UpstreamSelection.resolve(flag: nil) { _ in "" } == .service(baseURL: "http://loplequ.domcloud.io"))
        #expect(try UpstreamSelection.resolve(flag: "emulator") { environment[$0] } == .emulator)
        #expect(try UpstreamSelection.resolve(flag: nil) { _ in "emulator" } == .emulator)
    }

    @Test(arguments: [
        ("ftp://host", "expected an http:// or https:// URL"),
        ("loplequ.domcloud.io", "expected an http:// or https:// URL"),
        ("http://", "no host"),
        ("http://:80", "no host"),
        ("http://host/a b", "spaces"),
        ("http://host/?token=x", "without a query"),
        ("Emulator", "expected an http:// or https:// URL"),
    ])
    func wrongValuesSayWhatIsExpected(value: String, expected: String) {
        #expect {
            try UpstreamSelection.resolve(flag: nil) { _ in value }
        } throws: { error in
            let message = (error as? UpstreamSelectionError)?.description ?? ""
            return message.contains(expected) && message.hasPrefix("VISIONCRAFT_UPSTREAM '\(value)'")
        }
    }

    @Test func backendFailuresBecomeApplicationErrors() {
        let cases: [(BackendFailure, ApplicationError, JSON?)] = [
            (.transient("reset", retryAfter: nil), .upstreamUnavailable, nil),
            (.transient("503", retryAfter: .seconds(5)), .upstreamUnavailable, 5),
            (.rateLimited("slow down", retryAfter: .milliseconds(1500)), .rateLimited, 1.5),
            (.keyRefused("banned"), .keyRejected, nil),
            (.invalid("steps: too many", field: "steps"), .upstreamRejected, nil),
            (.quota("no credit left"), .upstreamRejected, nil),
            (.permanent("gone for good"), .upstreamRejected, nil),
            (.protocolViolation("no images"), .upstreamProtocol, nil),
        ]
        for (failure, expected, retryAfter) in cases {
            let error = failure.rpcError
            #expect(error.code == expected.code)
            #expect(error.reason == expected.reason)
            #expect(error.message.contains(failure.description))
            #expect(error.data?["retry_after_seconds"] == retryAfter, "\(failure)")
        }
        #expect(BackendFailure.invalid("x", field: "steps").rpcError.data?["field"] == "steps")
        #expect(BackendFailure.keyRefused("x").rpcError.message.contains("vcctl key set"))
        #expect(Set(ApplicationError.all.map(\.code)).count == ApplicationError.all.count, "codes are unique")
        #expect(ApplicationError.all.allSatisfy { RPCErrorCode.applicationRange.contains($0.code.rawValue) })
    }
}

@Suite struct DaemonUpstreamTests {
    @Test func theEmbeddedEmulatorServesTheListsAndIsReported() async throws {
        let (models, samplers, status) = try await withInProcessDaemon({ $0.set("upstream.url", "emulator") }) { client, _ in
            (
                try client.call(ModelsList.self, .init()),
                try client.call(SamplersList.self, .init()),
                try client.call(DaemonStatus.self, NoParameters())
            )
        }
        #expect(models.names.count == 58)
        #expect(models.names.contains("anything_V5"))
        #expect(samplers.names.count == 19)
        #expect(status.upstream?.emulator == true)
        #expect(status.upstream?.url.hasPrefix("http://127.0.0.1:") == true)
    }

    @Test func listsAreCachedUntilARefreshIsAsked() async throws {
        let fetches = try await withInProcessDaemon({ $0.set("upstream.url", "emulator") }) { client, _ in
            _ = try client.call(ModelsList.self, .init())
            _ = try client.call(SamplersList.self, .init())
            _ = try client.call(ModelsList.self, .init())
            let url = try client.call(DaemonStatus.self, NoParameters()).upstream!.url
            let before = try Self.modelFetches(url)
            _ = try client.call(ModelsList.self, .init(refresh: true))
            return (before, try Self.modelFetches(url))
        }
        #expect(fetches.0 == 1, "one fetch serves both lists and the repeat")
        #expect(fetches.1 == 2)
    }

    /// How many times the emulator at `url` answered GET /models with 200.
    static func modelFetches(_ url: String) throws -> Int {
        guard let port = url.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw TestFailure("no port in \(url)") }
        let stats = try RawHTTPClient(port: port).request("GET", "/_emulator/stats")
        let json = try JSONParser.parse(stats.body)
        return json["requests"]?["/models"]?["200"]?.intValue ?? 0
    }

    @Test func anUnreachableUpstreamIsUnavailableNotABug() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let error = try await withInProcessDaemon({ $0.set("upstream.url", "http://127.0.0.1:\(port)") }) { client, _ in
            serverError { _ = try client.call(ModelsList.self, .init()) }
        }
        #expect(error?.code == ApplicationError.upstreamUnavailable.code)
        #expect(error?.reason == "upstream_unavailable")
    }

    @Test func unknownParametersAreRefused() async throws {
        let error = try await withInProcessDaemon({ $0.set("upstream.url", "emulator") }) { client, _ in
            serverError { _ = try client.call("models.list", params: ["refesh": true]) }
        }
        #expect(error?.code == .invalidParams)
        #expect(error?.data?["field"] == "params.refesh")
    }

    @Test func theEnvironmentChoosesTheUpstream() async throws {
        let status = try await withInProcessDaemon(environment: ["VISIONCRAFT_UPSTREAM": "emulator"]) { client, _ in
            try client.call(DaemonStatus.self, NoParameters())
        }
        #expect(status.upstream?.emulator == true)
    }

    @Test func turningVerificationOffIsLoggedOnce() async throws {
        let log = try await withInProcessDaemon({
            $0.set("upstream.url", "emulator")
            $0.set("upstream.tls_verify", false)
        }) { client, folder in
            _ = try client.call(ModelsList.self, .init())
            _ = try client.call(ModelsList.self, .init(refresh: true))
            return String(decoding: try FileSystem.readFile(folder.file("log")), as: UTF8.self)
        }
        #expect(log.split(separator: "\n").filter { $0.contains("TLS certificate verification is off") }.count == 1, "exactly once")
    }

    @Test func aMissingCAFileStopsTheStartWithStatus78() throws {
        var options = DaemonOptions()
        options.set("upstream.ca_file", "/nonexistent/ca.pem")
        try expectRefusal(options, environment: [:], message: "--ca-file /nonexistent/ca.pem: no such file")
    }

    @Test func aWrongEnvironmentValueStopsTheStartWithStatus78() throws {
        try expectRefusal(DaemonOptions(), environment: ["VISIONCRAFT_UPSTREAM": "localhost:8000"], message: "VISIONCRAFT_UPSTREAM 'localhost:8000'")
    }

    func expectRefusal(_ options: DaemonOptions, environment: [String: String], message: String) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var options = options
        options.socketPath = folder.file("d.sock")
        let daemon = Daemon(
            options: options, environment: Environment(environment.merging(["HOME": folder.path]) { given, _ in given }),
            log: try Logger(file: folder.file("log"), minimumLevel: .error)
        )
        #expect(daemon.run() == .config)
        #expect(String(decoding: try FileSystem.readFile(folder.file("log")), as: UTF8.self).contains(message))
        #expect(try FileSystem.linkStatus(folder.file("d.sock")) == nil, "the socket is gone")
    }
}

@Suite struct ConfiguredUpstreamTests {
    @Test func theConfigurationFileComesAfterTheFlagAndTheEnvironment() throws {
        let environment = ["VISIONCRAFT_UPSTREAM": "http://from-env:8000"]
        #expect(try UpstreamSelection.resolve(flag: nil, configured: "http://from-file:1") { _ in nil } == .service(baseURL: "http://from-file:1"))
        #expect(try UpstreamSelection.resolve(flag: nil, configured: "http://from-file:1") { environment[$0] } == .service(baseURL: "http://from-env:8000"))
        #expect(try UpstreamSelection.resolve(flag: "emulator", configured: "http://from-file:1") { environment[$0] } == .emulator)
        #expect(throws: UpstreamSelectionError.self) { try UpstreamSelection.resolve(flag: nil, configured: "ftp://x") { _ in nil } }
    }
}
