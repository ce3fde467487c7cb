@testable import Daemon
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `SocketWatch` and `DaemonSocket.bindAgain`: a socket file removed or
/// replaced under the daemon, with real files, sockets and locks (no server:
/// the descriptor handed to `serve` is what a server would accept on).
@Suite struct SocketWatchTests {
    /// A bound socket in `<folder>/run`, its log in `<folder>/log`.
    struct Fixture {
        let folder: TemporaryDirectory
        let location: SocketLocation
        let socket: DaemonSocket
        var watch: SocketWatch
        /// The descriptors `serve` was given.
        var served: [FileDescriptor] = []

        init() throws {
            folder = try TemporaryDirectory()
            location = SocketLocationFixture.at(folder.file("run/d.sock"))
            let log = try Logger(file: folder.file("log"), minimumLevel: .debug)
            socket = try DaemonSocket.bind(location, log: log)
            watch = SocketWatch(socket: socket, log: log)
        }

        mutating func check(refuse: Bool = false) {
            var given: FileDescriptor?
            watch.check { descriptor throws(SystemError) in
                if refuse { throw SystemError(code: ENOMEM, function: "epoll_ctl") }
                given = descriptor
            }
            if let given { served.append(given) }
        }

        var log: String {
            (try? FileSystem.readFile(folder.file("log"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }

        func count(_ text: String) -> Int {
            log.split(separator: "\n").filter { $0.contains(text) }.count
        }

        /// True if another process could not take the lock (this one holds it).
        var lockHeld: Bool {
            get throws {
                guard let other = try FileLock.tryAcquire(location.lockPath) else { return true }
                other.release()
                return false
            }
        }

        func tearDown() {
            socket.close()
            folder.remove()
        }
    }

    @Test func anIntactFileCostsOneLookAndChangesNothing() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        let before = fixture.socket.descriptor
        fixture.check()
        #expect(fixture.served.isEmpty)
        #expect(fixture.socket.descriptor == before)
        #expect(fixture.socket.inspectFile() == .intact)
    }

    @Test func aRemovedFileIsBoundAgainWithTheLockKept() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        let client = try UnixSocket.connect(to: fixture.location.path)  // waits in the old backlog
        defer { try? client.close() }
        try FileSystem.removeFile(fixture.location.path)
        #expect(fixture.socket.inspectFile() == .missing)
        fixture.check()

        #expect(fixture.served.count == 1)
        #expect(fixture.socket.descriptor == fixture.served.first)
        #expect(fixture.socket.inspectFile() == .intact)
        let file = try FileSystem.linkStatus(fixture.location.path)
        #expect(file?.kind == .socket)
        #expect(file?.octalPermissions == "0600")
        #expect(try fixture.lockHeld, "the lock was never let go")
        #expect(DaemonLockRecord.pid(in: try FileSystem.readFile(fixture.location.lockPath)) == getpid())
        #expect(fixture.count("the socket file \(fixture.location.path) was removed while the daemon ran; listening on it again") == 1)
        // A new client reaches the new socket.
        try UnixSocket.connect(to: fixture.location.path).close()
        fixture.check()
        #expect(fixture.served.count == 1, "nothing more to do")
    }

    @Test func aRegularFileInTheWayIsLeftAloneAndReportedOnce() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        let path = fixture.location.path
        try FileSystem.removeFile(path)
        try FileSystem.writeFileAtomically(path, Array("precious".utf8))
        #expect(fixture.socket.inspectFile() == .replaced(.regular))
        for _ in 0..<3 { fixture.check() }
        #expect(fixture.served.isEmpty)
        #expect(try FileSystem.readFile(path) == Array("precious".utf8), "not ours to delete")
        #expect(fixture.count("was replaced by a regular file while the daemon ran, and it cannot listen there again") == 1, "\(fixture.log)")
        #expect(fixture.log.contains("move it away"))
        #expect(fixture.log.contains("The connections open now are still served"))

        try FileSystem.removeFile(path)
        fixture.check()
        #expect(fixture.served.count == 1)
        #expect(fixture.socket.inspectFile() == .intact)
        #expect(fixture.count("was replaced by a regular file while the daemon ran; listening on it again") == 1)
    }

    @Test func aRemovedFolderIsMadeAgainAndTheLockTakenAgain() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        let folder = fixture.location.folder
        TemporaryDirectory.removeTree(folder)
        #expect(try FileSystem.linkStatus(fixture.location.lockPath) == nil, "with its file gone, the old lock keeps nobody out")
        fixture.check()
        #expect(fixture.served.count == 1)
        #expect(try FileSystem.linkStatus(folder)?.octalPermissions == "0700")
        #expect(try fixture.lockHeld)
        #expect(DaemonLockRecord.pid(in: try FileSystem.readFile(fixture.location.lockPath)) == getpid())
        #expect(fixture.log.contains("\(fixture.location.lockPath) was removed; locked it again"))
        #expect(fixture.log.contains("was removed while the daemon ran; listening on it again"))
    }

    @Test func aNewLockSomeoneElseTookKeepsThePathTheirs() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        try FileSystem.removeFile(fixture.location.lockPath)
        let other = try #require(try FileLock.tryAcquire(fixture.location.lockPath))
        defer { other.release() }
        try other.record(DaemonLockRecord.text(pid: 4242))
        try FileSystem.removeFile(fixture.location.path)
        fixture.check()
        fixture.check()
        #expect(fixture.served.isEmpty)
        #expect(try FileSystem.linkStatus(fixture.location.path) == nil)
        #expect(fixture.count("another daemon (pid 4242) has locked a new one since") == 1, "\(fixture.log)")
    }

    @Test func aSocketSomeoneAnswersOnIsNotTakenOver() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        try FileSystem.removeFile(fixture.location.path)
        let foreign = try UnixSocket.listen(at: fixture.location.path)
        defer { try? foreign.close() }
        let foreignFile = try FileSystem.linkStatus(fixture.location.path)
        fixture.check()
        #expect(fixture.served.isEmpty)
        #expect(try FileSystem.linkStatus(fixture.location.path) == foreignFile)
        #expect(fixture.log.contains("another process answers on"))
    }

    @Test func aStaleSocketIsReplaced() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        try FileSystem.removeFile(fixture.location.path)
        try makeStaleSocket(at: fixture.location.path)
        fixture.check()
        #expect(fixture.served.count == 1)
        #expect(fixture.socket.inspectFile() == .intact)
        #expect(fixture.log.contains("removing stale socket"))
        #expect(fixture.log.contains("was replaced by a socket while the daemon ran; listening on it again"))
    }

    @Test func aServerThatCannotTakeTheNewSocketLeavesNoFileAndTheNextCheckTriesAgain() throws {
        var fixture = try Fixture()
        defer { fixture.tearDown() }
        let old = fixture.socket.descriptor
        try FileSystem.removeFile(fixture.location.path)
        fixture.check(refuse: true)
        #expect(fixture.socket.descriptor == old, "the old socket is still the one served")
        #expect(try FileSystem.linkStatus(fixture.location.path) == nil, "no file that nobody accepts on")
        #expect(fixture.log.contains("cannot accept on a new socket"))
        fixture.check()
        #expect(fixture.served.count == 1)
        #expect(fixture.socket.inspectFile() == .intact)
    }

    @Test func closingAfterARebindRemovesTheNewFileAndReleasesTheLock() throws {
        var fixture = try Fixture()
        defer { fixture.folder.remove() }
        try FileSystem.removeFile(fixture.location.path)
        fixture.check()
        fixture.socket.close()
        #expect(try FileSystem.linkStatus(fixture.location.path) == nil)
        #expect(try fixture.lockHeld == false)
        #expect(try FileSystem.readFile(fixture.location.lockPath).isEmpty, "no stale pid left behind")
    }

    @Test func aSecondDaemonNamesTheHolderAndTheMissingFile() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        try FileSystem.removeFile(fixture.location.path)
        let error = #expect(throws: DaemonError.self) {
            _ = try DaemonSocket.bind(fixture.location, log: Logger(minimumLevel: .error))
        }
        #expect(error?.kind == .alreadyRunning)
        #expect(error?.message.contains("pid \(getpid()) holds \(fixture.location.lockPath)") == true)
        #expect(error?.message.contains("its socket file is missing for now") == true)
    }
}
