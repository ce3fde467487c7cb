import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct UnixSocketTests {
    @Test func listenConnectAcceptAndExchangeBytes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("s.sock")
        let listener = try UnixSocket.listen(at: path)
        defer { try? listener.close() }
        #expect(UnixSocket.localPath(of: listener) == path)
        #expect(UnixSocket.isListeningStreamSocket(listener))

        let received = try await offPool {
            let client = LineClient(descriptor: try UnixSocket.connect(to: path))
            let server = try #require(try UnixSocket.accept(from: listener))
            try client.sendLine("ping")
            let serverSide = LineClient(descriptor: server)  // owns and closes it
            let line = try serverSide.readLine()
            try serverSide.sendLine("pong:\(line)")
            return try client.readLine()
        }
        #expect(received == "pong:ping")
    }

    @Test func acceptOnEmptyNonBlockingListenerReturnsNil() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let listener = try UnixSocket.listen(at: folder.file("s.sock"))
        defer { try? listener.close() }
        try listener.setNonBlocking(true)
        #expect(try UnixSocket.accept(from: listener) == nil)
    }

    @Test func pathLongerThanSunPathIsRejectedWithTheLimit() throws {
        let path = "/tmp/" + String(repeating: "x", count: UnixSocket.maximumPathLength)
        let error = #expect(throws: SocketPathTooLongError.self) {
            _ = try UnixSocket.listen(at: path)
        }
        #expect(error?.limit == UnixSocket.maximumPathLength)
        #expect(error?.description.contains("\(UnixSocket.maximumPathLength) bytes") == true)
        #expect(throws: SocketPathTooLongError.self) { _ = try UnixSocket.connect(to: path) }
    }

    @Test func pathOfExactlyTheLimitWorks() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let name = String(repeating: "s", count: UnixSocket.maximumPathLength - folder.path.utf8.count - 1)
        let path = folder.file(name)
        #expect(path.utf8.count == UnixSocket.maximumPathLength)
        let listener = try UnixSocket.listen(at: path)
        try listener.close()
    }

    @Test func connectingToNothingSaysNoSuchFile() throws {
        let error = #expect(throws: SystemError.self) {
            _ = try UnixSocket.connect(to: "/tmp/vct-nonexistent-\(getpid()).sock")
        }
        #expect(error?.isNoSuchFile == true)
        #expect(error?.function == "connect")
    }

    @Test func connectingToAStaleSocketIsRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("stale.sock")
        try makeStaleSocket(at: path)  // the file stays, nobody listens
        #expect(try FileSystem.status(path)?.kind == .socket)
        let error = #expect(throws: SystemError.self) { _ = try UnixSocket.connect(to: path) }
        #expect(error?.isConnectionRefused == true)
    }

    @Test func peerCredentialsOfASocketPairAreOurs() throws {
        let (a, b) = try UnixSocket.pair()
        defer {
            try? a.close()
            try? b.close()
        }
        let peer = try PeerCredentials.of(a)
        #expect(peer.uid == getuid())
        #expect(peer.gid == getgid())
        #if os(Linux)
        #expect(peer.pid == getpid())
        #endif
        #expect(peer.isTrusted(by: getuid()))
        #expect(PeerCredentials(uid: 0, gid: 0, pid: nil).isTrusted(by: 1000))
        #expect(!PeerCredentials(uid: 1001, gid: 0, pid: nil).isTrusted(by: 1000))
    }

    @Test func sendToAClosedPeerFailsWithoutSIGPIPE() throws {
        let (a, b) = try UnixSocket.pair()
        try b.close()
        defer { try? a.close() }
        let error = #expect(throws: SystemError.self) {
            _ = try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try UnixSocket.send(a, $0) }
        }
        #expect(error?.isDisconnect == true)
    }
}

@Suite struct LaunchdTests {
    @Test func offMacOSThereIsNoLaunchdSocket() throws {
        #if !canImport(Darwin)
        #expect(try UnixSocket.launchdListener(named: "Listeners") == nil)
        #endif
    }
}
