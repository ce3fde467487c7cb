import JSON
import Posix
import Testing
import TestSupport

/// One daemon per state folder: a second one, on another socket, would share
/// the job database and run the first one's jobs again.
@Suite struct StateFolderLockTests {
    @Test func aSecondDaemonOnAnotherSocketRefusesTheSameStateFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (output, portBefore, portAfter, pid, stillServes) = try await offPool {
            let first = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            defer { _ = try? first.terminate() }
            let portFile = folder.file("state/visioncraft/emulator.port")
            let before = try FileSystem.readFile(portFile)
            let other = folder.file("other/visioncraftd.sock")
            let output = try runProcess(
                try BuiltProducts.path("visioncraftd"), ["--socket", other, "--emulator"], environment: isolatedEnvironment(in: folder)
            )
            let after = try FileSystem.readFile(portFile)
            let client = try first.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            let serves = try JSONParser.parse(try client.readLine())["result"] != nil
            let leftNoSocket = try FileSystem.linkStatus(other) == nil
            return (output, before, after, first.child.pid, serves && leftNoSocket)
        }
        #expect(output.status == 1)
        #expect(output.standardError.contains("the state folder \(folder.file("state/visioncraft")) is in use by pid \(pid)"), "\(output.standardError)")
        #expect(output.standardError.contains("serving \(folder.file("run/visioncraftd.sock"))"), "\(output.standardError)")
        #expect(!output.standardError.contains("already running"), "vcctl reads 'already running' as 'connect to it'")
        #expect(portBefore == portAfter, "the second daemon must not touch the folder")
        #expect(stillServes, "the first daemon serves on, and the second left no socket file")
    }

    @Test func vcctlWithAnotherSocketSaysWhichDaemonToUse() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (output, pid) = try await offPool {
            let first = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            defer { _ = try? first.terminate() }
            let output = try runProcess(
                try BuiltProducts.path("vcctl"), ["--socket", folder.file("other/visioncraftd.sock"), "status"],
                environment: isolatedEnvironment(in: folder)
            )
            return (output, first.child.pid)
        }
        #expect(output.status != 0)
        #expect(output.standardError.contains("in use by pid \(pid)"), "\(output.standardError)")
    }

    @Test func theLockIsTakenAgainWhenTheStateFolderIsDeleted() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (output, log) = try await offPool {
            let first = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            defer { _ = try? first.terminate() }
            TemporaryDirectory.removeTree(folder.file("state"))
            try waitForLog(first, containing: "visioncraftd.lock was removed; locked it again", timeout: TestTime.scaled(.seconds(10)))
            let output = try runProcess(
                try BuiltProducts.path("visioncraftd"), ["--socket", folder.file("other/visioncraftd.sock"), "--emulator"],
                environment: isolatedEnvironment(in: folder)
            )
            return (output, first.log())
        }
        #expect(output.status == 1, "\(log)")
        #expect(output.standardError.contains("is in use by pid"))
    }
}
