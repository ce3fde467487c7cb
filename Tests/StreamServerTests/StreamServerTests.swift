import Posix
import StreamServer
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Echoes every byte back; on end of input sends "bye\n" and closes after flushing.
final class EchoDelegate: ConnectionDelegate {
    let events = Mutex<[String]>([])

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.send(bytes)
    }

    func connectionDidReachEndOfInput(_ connection: Connection) {
        events.withLock { $0.append("eof") }
        connection.send(Array("bye\n".utf8))
        connection.close(afterFlush: true)
    }

    func connectionDidClose(_ connection: Connection) {
        events.withLock { $0.append("closed") }
    }
}

/// Answers every read with a large blob, from another thread.
final class BlobDelegate: ConnectionDelegate {
    let size: Int
    init(size: Int) { self.size = size }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        let size = self.size
        let thread = try? OSThread.spawn(name: "blob") {
            var blob = [UInt8](repeating: 0, count: size)
            for index in blob.indices { blob[index] = UInt8(truncatingIfNeeded: index % 251) }
            connection.send(blob)
            connection.close(afterFlush: true)
        }
        thread?.detach()
    }

    func connectionDidReachEndOfInput(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}

/// Queues a blob on the first read and notes every drain, with the output
/// still queued at that moment.
final class DrainDelegate: ConnectionDelegate {
    let size: Int
    /// What was queued at each `connectionDidDrainOutput`.
    let drains = ThreadCondition<[Int]>([])
    init(size: Int) { self.size = size }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.send([UInt8](repeating: 0x61, count: size))
    }

    func connectionDidDrainOutput(_ connection: Connection) {
        let queued = connection.pendingOutputCount
        drains.update { $0.append(queued) }
    }

    func connectionDidReachEndOfInput(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}

/// A server on a temporary socket, stopped by `stop()`.
struct TestServer {
    let folder: TemporaryDirectory
    let path: String
    let listener: FileDescriptor
    let server: StreamServer

    init(
        configuration: StreamServer.Configuration = .init(loopCount: 2),
        acceptor: @escaping StreamServer.Acceptor
    ) throws {
        folder = try TemporaryDirectory()
        path = folder.file("s.sock")
        listener = try UnixSocket.listen(at: path)
        server = try StreamServer(listening: listener, configuration: configuration, acceptor: acceptor)
        try server.start()
    }

    func stop() {
        server.stop()
        try? listener.close()
        folder.remove()
    }
}

@Suite struct StreamServerTests {
    @Test func echoesAndClosesAfterEndOfInput() async throws {
        let delegate = EchoDelegate()
        let server = try TestServer { _ in delegate }
        defer { server.stop() }
        let result = try await offPool {
            let client = try LineClient(path: server.path)
            try client.sendLine("hello")
            let echoed = try client.readLine()
            client.shutdownWrite()
            let rest = try client.readToEndOfFile()
            return (echoed, String(decoding: rest, as: UTF8.self))
        }
        #expect(result.0 == "hello")
        #expect(result.1 == "bye\n")
        #expect(server.server.waitUntilIdle(timeout: TestTime.scaled(.seconds(10))))
        #expect(delegate.events.withLock { $0 } == ["eof", "closed"])
    }

    @Test func largeOutputFromAnotherThreadReachesASlowReaderIntact() async throws {
        let size = 8 << 20
        let server = try TestServer { _ in BlobDelegate(size: size) }
        defer { server.stop() }
        // Checked off the cooperative pool too: 8 MiB byte by byte in a debug
        // build takes long enough to starve other tests' tasks.
        let (count, firstWrong) = try await offPool { () -> (Int, Int?) in
            let client = try LineClient(path: server.path)
            try client.send("go")
            let received = try client.readToEndOfFile(timeout: TestTime.scaled(.seconds(30)))
            let firstWrong = received.withUnsafeBufferPointer { bytes -> Int? in
                var index = 0
                while index < bytes.count {
                    if bytes[index] != UInt8(truncatingIfNeeded: index % 251) { return index }
                    index += 1
                }
                return nil
            }
            return (received.count, firstWrong)
        }
        #expect(count == size)
        #expect(firstWrong == nil, "byte \(firstWrong ?? 0) differs")
    }

    @Test func theDelegateHearsWhenQueuedOutputFallsUnderTheMark() async throws {
        let mark = 64 << 10
        let delegate = DrainDelegate(size: 4 << 20)
        let server = try TestServer(configuration: .init(loopCount: 1, outputHighWater: mark)) { _ in delegate }
        defer { server.stop() }
        let (beforeReading, received) = try await offPool {
            let client = try LineClient(path: server.path)
            try client.send("go")
            // Nothing is read yet: 4 MiB stay queued, far over the mark.
            let beforeReading = delegate.drains.wait(timeout: .milliseconds(200)) { !$0.isEmpty }
            return (beforeReading, try client.readExactly(4 << 20).count)
        }
        #expect(!beforeReading, "no drain while the client reads nothing")
        #expect(received == 4 << 20)
        #expect(delegate.drains.wait(timeout: TestTime.scaled(.seconds(10))) { !$0.isEmpty })
        let drains = delegate.drains.read { $0 }
        #expect(drains.count == 1, "one crossing, one call: \(drains)")
        #expect(drains.allSatisfy { $0 <= mark })
    }

    @Test func refusedConnectionsAreClosedAtOnce() async throws {
        let server = try TestServer { _ in nil }
        defer { server.stop() }
        let closed = try await offPool {
            let client = try LineClient(path: server.path)
            try? client.sendLine("anyone?")
            return try client.isClosedByServer()
        }
        #expect(closed)
        #expect(server.server.connectionCount == 0)
    }

    @Test func peerCredentialsAreAttachedToEachConnection() async throws {
        let seen = Mutex<PeerCredentials?>(nil)
        let server = try TestServer { connection in
            seen.withLock { $0 = connection.peer }
            return EchoDelegate()
        }
        defer { server.stop() }
        _ = try await offPool {
            let client = try LineClient(path: server.path)
            try client.sendLine("x")
            return try client.readLine()
        }
        #expect(seen.withLock { $0?.uid } == getuid())
    }

    @Test func connectionsBeyondTheMaximumAreRefused() async throws {
        let server = try TestServer(configuration: .init(loopCount: 1, maximumConnections: 2)) { _ in EchoDelegate() }
        defer { server.stop() }
        let outcome = try await offPool {
            let first = try LineClient(path: server.path)
            let second = try LineClient(path: server.path)
            try first.sendLine("1")
            try second.sendLine("2")
            let answers = [try first.readLine(), try second.readLine()]
            let third = try LineClient(path: server.path)
            let thirdClosed = try third.isClosedByServer()
            return (answers, thirdClosed)
        }
        #expect(outcome.0 == ["1", "2"])
        #expect(outcome.1)
    }

    @Test func pausedReadingDeliversNothingUntilResumed() async throws {
        let connectionBox = Mutex<Connection?>(nil)
        let delegate = EchoDelegate()
        let server = try TestServer(configuration: .init(loopCount: 1)) { connection in
            connection.setReading(false)
            connectionBox.withLock { $0 = connection }
            return delegate
        }
        defer { server.stop() }
        let result = try await offPool {
            let client = try LineClient(path: server.path)
            try client.sendLine("held")
            let early = try? client.readLine(timeout: .milliseconds(200))
            let connection = try #require(connectionBox.withLock { $0 })
            connection.setReading(true)
            return (early, try client.readLine())
        }
        #expect(result.0 == nil)
        #expect(result.1 == "held")
    }

    @Test func fiftyConcurrentClientsEachGetTheirOwnBytes() async throws {
        let server = try TestServer { _ in EchoDelegate() }
        defer { server.stop() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await offPool {
                        let client = try LineClient(path: server.path)
                        for round in 0..<20 {
                            try client.sendLine("client \(index) round \(round)")
                            let line = try client.readLine()
                            guard line == "client \(index) round \(round)" else {
                                throw TestFailure("client \(index) got \(line)")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(server.server.waitUntilIdle(timeout: TestTime.scaled(.seconds(10))))
    }

    @Test func stopClosesOpenConnections() async throws {
        let server = try TestServer { _ in EchoDelegate() }
        let client = try LineClient(path: server.path)
        try await offPool {
            try client.sendLine("x")
            _ = try client.readLine()
        }
        #expect(server.server.connectionCount == 1)
        server.stop()
        #expect(server.server.connectionCount == 0)
        #expect(try await offPool { try client.isClosedByServer() })
    }

    @Test func sendAfterCloseIsDroppedAndReported() async throws {
        let connectionBox = Mutex<Connection?>(nil)
        let server = try TestServer { connection in
            connectionBox.withLock { $0 = connection }
            return EchoDelegate()
        }
        defer { server.stop() }
        try await offPool {
            let client = try LineClient(path: server.path)
            try client.sendLine("x")
            _ = try client.readLine()
            client.close()
        }
        #expect(server.server.waitUntilIdle(timeout: TestTime.scaled(.seconds(10))))
        let connection = try #require(connectionBox.withLock { $0 })
        #expect(connection.isClosed)
        #expect(connection.send(Array("late".utf8)) == false)
    }
}
