import JSON
import JSONRPC
import JSONRPCServer
import Posix
import Testing
import TestSupport

/// Methods whose replies are large, counting how many of them run at once.
final class BigReplies: Sendable {
    /// `big.build {"bytes": N}`: an asynchronous (building) method answering
    /// with a string of N bytes.
    enum Build: RPCMethod {
        static let name = "big.build"
        typealias Parameters = Size
        typealias Result = AnyResult
    }

    /// `big.now {"bytes": N}`: the same, synchronous.
    enum Now: RPCMethod {
        static let name = "big.now"
        typealias Parameters = Size
        typealias Result = AnyResult
    }

    struct Size: RPCParameters {
        var bytes: Int

        init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                bytes = try reader.required("bytes", try reader.integer("bytes", in: 0...(64 << 20)))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        var params: JSON? { ["bytes": .number(JSONNumber(bytes))] }
    }

    private struct Counts {
        var started = 0
        var running = 0
        var mostAtOnce = 0
    }

    private let counts = ThreadCondition(Counts())

    /// Requests of `big.build` and `big.now` started so far.
    var started: Int { counts.read { $0.started } }
    /// The most `big.build` requests that ran at the same time.
    var mostAtOnce: Int { counts.read { $0.mostAtOnce } }

    /// Blocks until `count` requests have started; false after `timeout`.
    func waitForStarts(_ count: Int, timeout: Duration) -> Bool {
        counts.wait(timeout: timeout) { $0.started >= count }
    }

    func register(in table: inout RPCMethodTable) {
        table.register(Build.self) { [self] size, _ in
            counts.update { counts in
                counts.started += 1
                counts.running += 1
                counts.mostAtOnce = max(counts.mostAtOnce, counts.running)
            }
            // A suspension, so that requests allowed to overlap do.
            await Task.yield()
            let reply = AnyResult(.string(String(repeating: "x", count: size.bytes)))
            counts.update { $0.running -= 1 }
            return reply
        }
        table.register(Now.self) { [self] size, _ in
            counts.update { $0.started += 1 }
            return AnyResult(.string(String(repeating: "x", count: size.bytes)))
        }
    }
}

/// What one connection may make the server hold: a client that pipelines
/// many requests with large replies and does not read gets only a few
/// started and a bounded queue, and every reply once it reads.
///
/// The handlers run on the test process's cooperative pool, which a whole
/// suite on two cores can keep busy for many seconds: the waits for a first
/// start are long (a passing test never waits them out).
@Suite struct SessionBoundTests {
    /// The output mark of these servers: small, so that a few replies pass it.
    static let mark = 16 << 10
    static let replyBytes = 256 << 10

    static func server(_ replies: BigReplies, building: Int = 2) throws -> RunningServer {
        var table = testMethods()
        replies.register(in: &table)
        return try RunningServer(
            methods: table,
            configuration: .init(maximumBuildingPerConnection: building, stream: .init(loopCount: 1, outputHighWater: mark))
        )
    }

    /// `count` replies, each checked to be a whole `bytes`-long
    /// result; returns their ids in the order they came.
    static func readReplies(_ client: LineClient, count: Int, bytes: Int) throws -> [Int] {
        try (0..<count).map { _ in
            let reply = try JSONParser.parse(try client.readLine())
            guard reply["result"]?.stringValue?.utf8.count == bytes, let id = reply["id"]?.intValue else {
                throw TestFailure("not a whole reply: \(String(describing: reply["error"] ?? reply["id"]))")
            }
            return id
        }
    }

    @Test func pipelinedBuildingRequestsStartOnlyAsTheClientReads() async throws {
        let replies = BigReplies()
        let server = try Self.server(replies)
        defer { server.stop() }
        let count = 12
        let (startedUnread, queuedUnread, ids) = try await offPool {
            let client = try LineClient(path: server.path)
            var burst = ""
            for id in 0..<count { burst += #"{"jsonrpc":"2.0","id":\#(id),"method":"big.build","params":{"bytes":\#(Self.replyBytes)}}"# + "\n" }
            try client.send(burst)
            guard replies.waitForStarts(2, timeout: TestTime.scaled(.seconds(60))) else { throw TestFailure("nothing started") }
            // Unread, two replies (512 KiB) are far over the mark: no third
            // may start however long the client waits.
            _ = replies.waitForStarts(3, timeout: .milliseconds(300))
            let startedUnread = replies.started
            let queuedUnread = server.server.openSessions.first?.pendingOutputCount ?? -1
            return (startedUnread, queuedUnread, try Self.readReplies(client, count: count, bytes: Self.replyBytes))
        }
        #expect(startedUnread == 2, "started while the client read nothing")
        #expect(queuedUnread >= 0 && queuedUnread <= Self.mark + 2 * (Self.replyBytes + 64), "queued: \(queuedUnread)")
        #expect(replies.mostAtOnce <= 2)
        #expect(Set(ids) == Set(0..<count), "every reply came, whole")
        #expect(replies.started == count)
    }

    @Test func immediateRepliesQueueOnlyUpToTheMark() async throws {
        let replies = BigReplies()
        let server = try Self.server(replies)
        defer { server.stop() }
        let count = 60
        let size = 64 << 10
        let (startedUnread, queuedUnread, ids) = try await offPool {
            let client = try LineClient(path: server.path)
            var burst = ""
            for id in 0..<count { burst += #"{"jsonrpc":"2.0","id":\#(id),"method":"big.now","params":{"bytes":\#(size)}}"# + "\n" }
            try client.send(burst)
            guard replies.waitForStarts(1, timeout: TestTime.scaled(.seconds(60))) else { throw TestFailure("nothing started") }
            _ = replies.waitForStarts(count, timeout: .milliseconds(300))
            let startedUnread = replies.started
            let queuedUnread = server.server.openSessions.first?.pendingOutputCount ?? -1
            return (startedUnread, queuedUnread, try Self.readReplies(client, count: count, bytes: size))
        }
        // The socket's own buffer takes some replies; the queue holds at
        // most the mark and the one reply that passed it.
        #expect(startedUnread < count / 2)
        #expect(queuedUnread >= 0 && queuedUnread <= Self.mark + size + 64, "queued: \(queuedUnread)")
        #expect(ids == Array(0..<count), "synchronous replies keep their order")
    }

    @Test func aBatchIsWrittenInPiecesAndBuildsOneReplyAtATime() async throws {
        let replies = BigReplies()
        let server = try Self.server(replies)
        defer { server.stop() }
        let count = 8
        let (startedUnread, reply) = try await offPool {
            let client = try LineClient(path: server.path)
            let batch = (0..<count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"big.build","params":{"bytes":\#(Self.replyBytes)}}"# }
            try client.sendLine("[" + batch.joined(separator: ",") + "]")
            guard replies.waitForStarts(1, timeout: TestTime.scaled(.seconds(60))) else { throw TestFailure("the batch did not start") }
            _ = replies.waitForStarts(3, timeout: .milliseconds(300))
            let startedUnread = replies.started
            return (startedUnread, try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(60)))))
        }
        // The first reply is written as a piece (it passes the mark), and
        // the next request waits for the client to read it.
        #expect(startedUnread <= 2, "started while the client read nothing")
        #expect(replies.mostAtOnce == 1)
        let elements = try #require(reply.arrayValue)
        #expect(elements.map { $0["id"]?.intValue } == Array(0..<count), "the batch's order")
        #expect(elements.allSatisfy { $0["result"]?.stringValue?.utf8.count == Self.replyBytes })
    }

    @Test func nothingLandsInsideABatchLineBeingWritten() async throws {
        let replies = BigReplies()
        let gate = Gate()
        var table = testMethods()
        replies.register(in: &table)
        gate.register(in: &table)
        let server = try RunningServer(methods: table, configuration: .init(stream: .init(loopCount: 1, outputHighWater: Self.mark)))
        defer {
            gate.open()
            server.stop()
        }
        let (firstBytes, batch, others) = try await offPool {
            let client = try LineClient(path: server.path)
            // The big reply is written as a piece; the line stays open while
            // the batch waits at the gate.
            try client.sendLine(#"[{"jsonrpc":"2.0","id":1,"method":"big.build","params":{"bytes":\#(Self.replyBytes)}},{"jsonrpc":"2.0","id":2,"method":"gate.wait"}]"#)
            // Long waits, as for a first start: the batch runs on a pool the suite keeps busy.
            let within = TestTime.scaled(.seconds(60))
            let firstBytes = try client.readExactly(Self.replyBytes / 2, timeout: within)
            // A reply and a notification arrive meanwhile; they must wait for the line's end.
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"math.add","params":{"a":1,"b":2}}"#)
            server.server.openSessions.first?.notify(RPCNotification(method: "job.updated", params: ["state": "queued"]))
            gate.open()
            let batch = String(decoding: firstBytes, as: UTF8.self) + (try client.readLine(timeout: within))
            return (firstBytes.count, batch, try client.readLines(2, timeout: within))
        }
        #expect(firstBytes == Self.replyBytes / 2, "half the batch's reply came before its last request finished")
        let elements = try #require(try JSONParser.parse(batch).arrayValue)
        #expect(elements.map { $0["id"] } == [1, 2])
        let parsed = try others.map { try JSONParser.parse($0) }
        #expect(Set(parsed.compactMap { $0["id"]?.stringValue ?? $0["method"]?.stringValue }) == ["quick", "job.updated"])
    }

    @Test func waitingRequestsAreNotHeldToTheBuildingLimit() async throws {
        let gate = Gate()
        var table = testMethods()
        gate.register(in: &table)
        let gated = try RunningServer(methods: table, configuration: .init(maximumBuildingPerConnection: 1))
        defer {
            gate.open()
            gated.stop()
        }
        let arrived = try await offPool {
            let client = try LineClient(path: gated.path)
            for id in 0..<10 { try client.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"gate.wait"}"#) }
            let arrived = gate.waitForArrivals(10, timeout: TestTime.scaled(.seconds(60)))
            gate.open()
            _ = try client.readLines(10)
            return arrived
        }
        #expect(arrived, "ten waiting requests at once with a building limit of one")
    }
}
