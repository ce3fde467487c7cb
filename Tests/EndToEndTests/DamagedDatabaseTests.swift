import JSON
import Posix
import Testing
import TestSupport

/// A start that finds the job database damaged refuses to use it, says where
/// it is, what is wrong and how to recover, unless told to start anyway.
@Suite struct DamagedDatabaseTests {
    @Test func anEmptiedDatabaseIsRefusedUntilTheFlagSaysStartAnyway() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = folder.file("state/visioncraft/jobs.sqlite3")
        let (refused, forced, listed) = try await offPool { () -> (ProcessOutput, String, JSON) in
            let daemon = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"kept"}}"#)
            _ = try client.readLine()
            client.close()
            _ = try daemon.terminate()
            try FileSystem.writeFileAtomically(database, [])
            let refused = try runProcess(
                try BuiltProducts.path("visioncraftd"), ["--socket", folder.file("run/visioncraftd.sock"), "--emulator"],
                environment: isolatedEnvironment(in: folder)
            )
            let forced = try DaemonProcess.start(arguments: ["--emulator", "--skip-database-check"], folder: folder)
            defer { _ = try? forced.terminate() }
            let again = try forced.connect()
            defer { again.close() }
            try again.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.list"}"#)
            return (refused, forced.log(), try JSONParser.parse(try again.readLine()))
        }
        #expect(refused.status == 65)
        #expect(refused.standardError.contains("the job database \(database) is damaged: the file is empty (0 bytes)"), "\(refused.standardError)")
        #expect(refused.standardError.contains(".recover"))
        #expect(refused.standardError.contains("--skip-database-check"))
        #expect(forced.contains("warning: --skip-database-check: using the job database as it is, although the job database \(database) is damaged"))
        #expect(listed["result"]?["jobs"]?.arrayValue?.count == 0, "started anyway, on an empty queue")
    }
}
