@testable import Daemon
import JSON
import JSONRPC
import Posix
import JobStore
import PluginHost
import Scheduler
import Testing
import TestSupport
import VisionCraftProtocol

@Suite struct MethodRegistryTests {
    func methods(testMethods: Bool) throws -> DaemonMethods {
        let upstream = try Upstream.start(.service(baseURL: "http://127.0.0.1:9"), options: DaemonOptions(), log: Logger(minimumLevel: .error))
        let folder = try TemporaryDirectory()
        // The open database outlives its unlinked folder; nothing here runs a job.
        defer { folder.remove() }
        let store = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        let keys = KeyRing(
            backends: [("visioncraft", false)], defaultBackend: "visioncraft", keyFile: folder.file("key"), environment: { _ in nil },
            log: Logger(minimumLevel: .error)
        )
        let scheduler = JobScheduler(
            store: store, backend: upstream.backend, keys: keys, configuration: SchedulerConfiguration(outputDirectory: folder.file("images"))
        ) { _ in }
        return DaemonMethods(
            startedAt: WallClock(seconds: 0).iso8601,
            startInstant: MonotonicInstant.now(),
            socketPath: "/tmp/x.sock",
            serviceManager: nil,
            configPath: nil,
            connectionCount: { 3 },
            requestStop: { _ in },
            reload: { () throws(DaemonError) in throw DaemonError(.configuration, "no file") },
            discoveryDocument: try ProtocolDocuments.openRPC(),
            upstream: upstream,
            queue: QueueMethods(scheduler: scheduler, keys: keys, subscriptions: EventSubscriptions()),
            plugins: PluginMethods(registry: PluginRegistry(folders: [])),
            enableTestMethods: testMethods
        )
    }

    @Test func everyRegisteredMethodIsDocumentedAndTheOtherWayRound() throws {
        let registered = Set(try methods(testMethods: false).table().methodNames)
        let documented = Set(try ProtocolDocuments.documentedMethodNames())
        #expect(registered.subtracting(documented).isEmpty, "registered but missing from Protocol/openrpc.json: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "in Protocol/openrpc.json but not registered: \(documented.subtracting(registered).sorted())")
    }

    /// RPCMethodTable's rule: a handler on the event-loop thread touches no
    /// file. The key file, the configuration file and the file of disabled
    /// plugins are read and written off the loop; what runs on it is only
    /// this short list.
    @Test func handlersThatTouchFilesNeverRunOnTheEventLoop() throws {
        let table = try methods(testMethods: false).table()
        for name in ["daemon.reload", "key.clear", "key.set", "plugins.enable", "plugins.reload"] {
            #expect(table.placement(of: name) != nil, "\(name) is registered")
            #expect(table.placement(of: name) != .eventLoop, "\(name) touches files: it must not run on the event loop")
        }
        let onTheLoop = table.methodNames.filter { table.placement(of: $0) == .eventLoop }
        #expect(
            onTheLoop == ["daemon.shutdown", "daemon.status", "events.subscribe", "events.unsubscribe", "key.status", "plugins.list", "rpc.discover"],
            "a new event-loop handler must not block (RPCMethodTable): \(onTheLoop)"
        )
    }

    @Test func testMethodsAreOnlyThereWhenAskedFor() throws {
        #expect(try !methods(testMethods: false).table().methodNames.contains("test.sleep"))
        let withTests = try methods(testMethods: true).table().methodNames
        #expect(withTests.contains("test.sleep"))
        #expect(withTests.contains("test.fail"))
        #expect(withTests.allSatisfy { MethodCatalog.names.contains($0) || $0.hasPrefix("test.") })
    }

    @Test func statusReportsWhatItIsGiven() throws {
        let status = try methods(testMethods: false).status()
        #expect(status.socket == "/tmp/x.sock")
        #expect(status.connections == 3)
        #expect(status.version == VisionCraftVersion.current)
        #expect(status.pid == Int(ProcessEnvironment.processID))
        #expect(status.uptimeSeconds >= 0)
        #expect(status.startedAt == "1970-01-01T00:00:00.000Z")
    }
}
