import Harness
import Posix
import Testing
import TestSupport

@Suite struct SandboxedDaemonTests {
    @Test func theSandboxKeepsTheRealHomeAndKeyOut() {
        let environment = Sandbox.environment(home: "/tmp/sandbox", extra: ["VISIONCRAFT_API_KEY": "given"])
        #expect(environment["HOME"] == "/tmp/sandbox")
        #expect(environment["XDG_STATE_HOME"] == "/tmp/sandbox/state")
        #expect(environment["XDG_CONFIG_HOME"] == "/tmp/sandbox/config")
        #expect(environment["XDG_RUNTIME_DIR"] == nil)
        #expect(environment["VISIONCRAFT_SOCKET"] == nil)
        #expect(environment["VISIONCRAFT_API_KEY"] == "given", "what the caller adds comes last")
    }

    @Test func aDaemonStartsWithEveryFileInItsFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let daemon = try await offPool { try SandboxedDaemon.start(BuiltProducts.binaries, folder: folder.path + "/home") }
        defer { daemon.server.stop() }
        #expect(daemon.socket == folder.path + "/home/run/visioncraftd.sock")
        let reply = try await offPool { () throws -> String in
            let client = try LineClient(path: daemon.socket)
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return try client.readLine()
        }
        #expect(reply.contains(#""id":1"#) && reply.contains(#""result""#))
        #expect(try FileSystem.status(folder.path + "/home/state/visioncraft/jobs.sqlite3")?.kind == .regular, "the job database is in the sandbox: \(daemon.log())")
    }

    @Test func aMissingBinarySaysHowToBuildIt() throws {
        let binaries = Binaries(directory: "/nonexistent", buildHint: "run 'swift build' first")
        #expect(throws: HarnessError.self) { try binaries.ours("visioncraftd") }
        do {
            _ = try binaries.ours("visioncraftd")
        } catch {
            #expect(error.description == "/nonexistent/visioncraftd is missing: run 'swift build' first")
        }
    }
}
