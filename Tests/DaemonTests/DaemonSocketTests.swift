import CommandLineKit
@testable import Daemon
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct DaemonSocketTests {
    @Test func aMissingFolderIsCreatedPrivate() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try DaemonSocket.preparePrivateFolder(folder.file("a/b"))
        #expect(try FileSystem.linkStatus(folder.file("a/b"))?.octalPermissions == "0700")
    }

    @Test(arguments: [0o750, 0o705, 0o770, 0o777, 0o1777])
    func aFolderWithGroupOrOtherBitsIsRefused(mode: Int) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("shared")
        try FileSystem.makeDirectory(path, permissions: 0o700)
        try FileSystem.setPermissions(path, mode_t(mode))
        let error = #expect(throws: DaemonError.self) { try DaemonSocket.preparePrivateFolder(path) }
        #expect(error?.kind == .unsafeLocation)
        #expect(error?.exitCode == .config)
        #expect(error?.message.contains("chmod 700 \(path)") == true)
    }

    @Test func aFileInsteadOfAFolderIsRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("file"), [1])
        let error = #expect(throws: DaemonError.self) { try DaemonSocket.preparePrivateFolder(folder.file("file")) }
        #expect(error?.message.contains("not a directory") == true)
    }

    @Test func bindingTwiceIsRefusedByTheLock() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let location = SocketLocationFixture.at(folder.file("run/d.sock"))
        let log = Logger(minimumLevel: .error)
        let first = try DaemonSocket.bind(location, log: log)
        let error = #expect(throws: DaemonError.self) { _ = try DaemonSocket.bind(location, log: log) }
        #expect(error?.kind == .alreadyRunning)
        #expect(error?.exitCode == .failure)
        first.close()
        #expect(try FileSystem.linkStatus(location.path) == nil)
        // Released: a new daemon may bind.
        try DaemonSocket.bind(location, log: log).close()
    }

    @Test func closingLeavesSomeoneElsesNewSocketAlone() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let location = SocketLocationFixture.at(folder.file("run/d.sock"))
        let socket = try DaemonSocket.bind(location, log: Logger(minimumLevel: .error))
        // Someone replaced the file under us.
        try FileSystem.removeFile(location.path)
        let replacement = try UnixSocket.listen(at: location.path)
        socket.close()
        #expect(try FileSystem.linkStatus(location.path)?.kind == .socket)
        try replacement.close()
    }

    @Test func activationIsIgnoredForAnotherProcess() throws {
        let socket = try DaemonSocket.activated(
            environment: Environment(["LISTEN_PID": "1", "LISTEN_FDS": "1"]), log: Logger(minimumLevel: .error)
        )
        #expect(socket == nil)
    }

    @Test func activationWithoutSocketsIsAnError() throws {
        let error = #expect(throws: DaemonError.self) {
            _ = try DaemonSocket.activated(
                environment: Environment(["LISTEN_PID": String(getpid()), "LISTEN_FDS": "0"]), log: Logger(minimumLevel: .error)
            )
        }
        #expect(error?.kind == .activation)
    }
}

import VisionCraftProtocol

enum SocketLocationFixture {
    static func at(_ path: String) -> SocketLocation {
        SocketLocation(path: path, source: .flag)
    }
}
