import JSON
import JSONRPC
import JSONRPCServer
import Posix
import Synchronization
import Testing
import TestSupport

/// An RPCServer with the test methods on a temporary socket.
struct RunningServer {
    let folder: TemporaryDirectory
    let path: String
    let listener: FileDescriptor
    let server: RPCServer

    init(methods: RPCMethodTable = testMethods(), configuration: RPCServer.Configuration = .init(), admit: @escaping RPCServer.Admission = { _, _ in true }) throws {
        folder = try TemporaryDirectory()
        path = folder.file("rpc.sock")
        listener = try UnixSocket.listen(at: path)
        server = try RPCServer(listening: listener, dispatcher: RPCDispatcher(methods: methods), configuration: configuration, admit: admit)
        try server.start()
    }

    func connect() throws -> RPCClient {
        RPCClient(descriptor: try UnixSocket.connect(to: path))
    }

    func stop() {
        server.stop()
        try? listener.close()
        folder.remove()
    }
}

/// A method that waits until the test opens a gate, counting how many wait.
/// Waiting is event-driven: continuations resumed by `open()`, and a
/// condition the test blocks on with a timeout.
final class Gate: Sendable {
    private let waiters = Mutex<(isOpen: Bool, continuations: [CheckedContinuation<Void, Never>])>((false, []))
    private let arrivals = ThreadCondition(0)

    enum Wait: RPCMethod {
        static let name = "gate.wait"
        typealias Parameters = NoParameters
        typealias Result = AnyResult
    }

    /// Requests waiting at the gate so far.
    var waitingCount: Int { arrivals.read { $0 } }

    func register(in table: inout RPCMethodTable) {
        table.register(Wait.self, .waiting, async: { [self] _, _ in
            await withCheckedContinuation { continuation in
                let resumeNow = waiters.withLock { state in
                    if state.isOpen { return true }
                    state.continuations.append(continuation)
                    return false
                }
                arrivals.update { $0 += 1 }
                if resumeNow { continuation.resume() }
            }
            return AnyResult("opened")
        })
    }

    /// Lets every waiting and future request through.
    func open() {
        let waiting = waiters.withLock { state in
            state.isOpen = true
            defer { state.continuations = [] }
            return state.continuations
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Blocks until `count` requests have arrived at the gate.
    func waitForArrivals(_ count: Int, timeout: Duration = TestTime.scaled(.seconds(60))) -> Bool {
        arrivals.wait(timeout: timeout) { $0 >= count }
    }
}

@Suite struct RPCServerTests {
    @Test func clientCallsTypedMethods() async throws {
        let server = try RunningServer()
        defer { server.stop() }
        let sum = try await offPool {
            let client = try server.connect()
            return try client.call(Add.self, Add.Parameters(a: 20, b: 22)).value
        }
        #expect(sum == 42)
    }

    @Test func clientSurfacesServerErrors() async throws {
        let server = try RunningServer()
        defer { server.stop() }
        let error = try await offPool { () -> RPCClientError? in
            let client = try server.connect()
            do {
                _ = try client.call("math.add", params: ["a": 1, "b": 1000])
                return nil
            } catch let error as RPCClientError {
                return error
            }
        }
        guard case .server(let rpcError)? = error else {
            Issue.record("expected a server error, got \(String(describing: error))")
            return
        }
        #expect(rpcError.code == .invalidParams)
        #expect(rpcError.reason == "invalid_params")
    }

    @Test func clientTimesOutWhenNoAnswerComes() async throws {
        let gate = Gate()
        var table = testMethods()
        gate.register(in: &table)
        let server = try RunningServer(methods: table)
        defer {
            gate.open()
            server.stop()
        }
        let error = try await offPool { () -> RPCClientError? in
            let client = try server.connect()
            do {
                _ = try client.call("gate.wait", timeout: .milliseconds(100))
                return nil
            } catch let error as RPCClientError {
                return error
            }
        }
        guard case .timedOut? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
    }

    @Test func readingPausesAtTheInFlightLimitAndResumes() async throws {
        let gate = Gate()
        var table = testMethods()
        gate.register(in: &table)
        let server = try RunningServer(methods: table, configuration: .init(maximumInFlightPerConnection: 4))
        defer {
            gate.open()
            server.stop()
        }
        let replies = try await offPool {
            let client = try LineClient(path: server.path)
            for id in 0..<10 { try client.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"gate.wait"}"#) }
            // A quick request behind them waits too: reading is paused at 4.
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"math.add","params":{"a":1,"b":1}}"#)
            guard gate.waitForArrivals(4) else { throw TestFailure("four requests never reached the gate") }
            let early = try? client.readLine(timeout: .milliseconds(200))
            let waitingWhilePaused = gate.waitingCount
            gate.open()
            let lines = try client.readLines(11)
            return (early, waitingWhilePaused, lines)
        }
        #expect(replies.0 == nil, "nothing may be answered while all four slots wait")
        #expect(replies.1 == 4)
        let ids = try replies.2.map { try JSONParser.parse($0)["id"] }
        #expect(Set(ids.compactMap(\.?.intValue)) == Set(0..<10))
        #expect(ids.contains("quick"))
    }

    @Test func drainWaitsForWhatIsInFlightThenCloses() async throws {
        let gate = Gate()
        var table = testMethods()
        gate.register(in: &table)
        let server = try RunningServer(methods: table)
        defer { server.stop() }
        let (finishedWhileGateClosed, drained, reply, closed) = try await offPool {
            let client = try LineClient(path: server.path)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"waiting","method":"gate.wait"}"#)
            guard gate.waitForArrivals(1) else { throw TestFailure("the request never reached the gate") }
            let outcome = ThreadCondition<Bool?>(nil)
            let drainer = try OSThread.spawn(name: "drainer") {
                // Long: the reply is built on the pool, which queues behind the
                // test bodies of the whole suite at its start.
                let drained = server.server.drain(timeout: TestTime.scaled(.seconds(60)))
                outcome.update { $0 = drained }
            }
            let finishedEarly = outcome.wait(timeout: .milliseconds(200)) { $0 != nil }
            gate.open()
            drainer.join()
            let reply = try client.readLine()
            return (finishedEarly, outcome.read { $0 } ?? false, reply, try client.isClosedByServer())
        }
        #expect(!finishedWhileGateClosed, "drain returned while a request was in flight")
        #expect(drained)
        #expect(reply.contains("opened"))
        #expect(closed)
    }

    @Test func admissionRefusesBeforeAnythingIsRead() async throws {
        let seen = Mutex<[UInt32]>([])
        let server = try RunningServer { _, peer in
            seen.withLock { $0.append(UInt32(peer?.uid ?? 9999)) }
            return false
        }
        defer { server.stop() }
        let closed = try await offPool {
            let client = try LineClient(path: server.path)
            try? client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"math.add","params":{"a":1,"b":1}}"#)
            return try client.isClosedByServer()
        }
        #expect(closed)
        #expect(seen.withLock { $0.count } == 1)
    }

    @Test func sessionsCanNotifyTheirClient() async throws {
        enum Subscribe: RPCMethod {
            static let name = "events.subscribe"
            typealias Parameters = NoParameters
            typealias Result = AnyResult
        }
        var table = testMethods()
        table.register(Subscribe.self) { _, context in
            context.session?.notify(RPCNotification(method: "job.updated", params: ["state": "queued"]))
            return AnyResult(true)
        }
        let server = try RunningServer(methods: table)
        defer { server.stop() }
        let notification = try await offPool {
            let client = try server.connect()
            _ = try client.call("events.subscribe")
            return try client.nextNotification(timeout: TestTime.scaled(.seconds(5)))
        }
        #expect(notification == RPCNotification(method: "job.updated", params: ["state": "queued"]))
    }

    @Test func oversizedLinesCloseOnlyTheirConnection() async throws {
        let server = try RunningServer(configuration: .init(maximumMessageBytes: 100))
        defer { server.stop() }
        let (error, closed, other) = try await offPool {
            let bad = try LineClient(path: server.path)
            let good = try server.connect()
            try bad.send(String(repeating: "x", count: 200))
            let error = try JSONParser.parse(try bad.readLine())
            let closed = try bad.isClosedByServer()
            let other = try good.call(Add.self, .init(a: 1, b: 2)).value
            return (error, closed, other)
        }
        #expect(error["error"]?["data"]?["reason"] == "message_too_large")
        #expect(closed)
        #expect(other == 3)
    }
}
