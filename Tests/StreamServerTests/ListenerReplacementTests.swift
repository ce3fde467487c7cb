import Posix
import StreamServer
import Testing
import TestSupport

/// `StreamServer.replaceListener(with:)`: a daemon whose socket file was
/// removed binds a new socket at the path and serves it instead.
@Suite struct ListenerReplacementTests {
    @Test func openConnectionsStayAndTheNewSocketIsServed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let oldListener = try UnixSocket.listen(at: folder.file("old.sock"))
        let server = try StreamServer(listening: oldListener, configuration: .init(loopCount: 2)) { _ in EchoDelegate() }
        try server.start()
        let newListener = try UnixSocket.listen(at: folder.file("new.sock"))
        defer {
            server.stop()
            try? newListener.close()
        }
        let (before, after, fresh, open) = try await offPool {
            let early = try LineClient(path: folder.file("old.sock"))
            try early.sendLine("before")
            let before = try early.readLine()
            try server.replaceListener(with: newListener)
            try oldListener.close()
            // Accepted on the old socket, still served after it closed.
            try early.sendLine("after")
            let after = try early.readLine()
            let late = try LineClient(path: folder.file("new.sock"))
            try late.sendLine("fresh")
            let fresh = try late.readLine()
            return (before, after, fresh, server.connectionCount)
        }
        #expect(before == "before")
        #expect(after == "after")
        #expect(fresh == "fresh")
        #expect(open == 2, "both clients are connected")
    }

    @Test func aSecondReplacementWorksLikeTheFirst() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let first = try UnixSocket.listen(at: folder.file("1.sock"))
        let server = try StreamServer(listening: first, configuration: .init(loopCount: 1)) { _ in EchoDelegate() }
        try server.start()
        let third = try UnixSocket.listen(at: folder.file("3.sock"))
        defer {
            server.stop()
            try? third.close()
        }
        let echoed = try await offPool {
            let second = try UnixSocket.listen(at: folder.file("2.sock"))
            try server.replaceListener(with: second)
            try first.close()
            try server.replaceListener(with: third)
            try second.close()
            let client = try LineClient(path: folder.file("3.sock"))
            try client.sendLine("third")
            return try client.readLine()
        }
        #expect(echoed == "third")
    }

    @Test func beforeStartTheNewSocketIsTheOneServed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let original = try UnixSocket.listen(at: folder.file("original.sock"))
        let replacement = try UnixSocket.listen(at: folder.file("replacement.sock"))
        let server = try StreamServer(listening: original, configuration: .init(loopCount: 1)) { _ in EchoDelegate() }
        try server.replaceListener(with: replacement)
        try original.close()
        try server.start()
        defer {
            server.stop()
            try? replacement.close()
        }
        let echoed = try await offPool {
            let client = try LineClient(path: folder.file("replacement.sock"))
            try client.sendLine("served")
            return try client.readLine()
        }
        #expect(echoed == "served")
    }
}
