#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON
import Posix
import Testing
import TestSupport

/// The key never leaves its file: not in the log, the database, the images,
/// the replies or the process list.
@Suite struct KeySecrecyTests {
    static let key = "sk-SECRET-7c1d9a4e5b2f8a3c"

    @Test func theKeyAppearsOnlyInItsOwnFile() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0", "--log-level", "debug"])
        }
        defer { daemon.cleanUp() }
        var replies = ""
        func run(_ arguments: [String], input: String? = nil) async throws -> ProcessOutput {
            let output = try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder, input: input)
            replies += output.standardOutput + output.standardError
            return output
        }
        #expect(try await run(["key", "set"], input: Self.key + "\n").status == 0)
        #expect(try await run(["submit", "a secret garden", "-n", "3", "--wait"]).status == 0)
        // The upstream refuses the key: its message and our log must still not show it.
        let status = try await offPool { () -> JSON in
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return try JSONParser.parse(try client.readLine())
        }
        let url = try #require(status["result"]?["upstream"]?["url"]?.stringValue)
        let port = try #require(url.split(separator: ":").last.flatMap { UInt16($0) })
        _ = try await offPool { try RawHTTPClient(port: port).request("POST", "/_emulator/revoke", body: #"{"token":"\#(Self.key)"}"#) }
        let submitted = try await run(["submit", "refused"])
        let id = submitted.standardOutput.trimmingNewline
        let refused = try await run(["wait", id, "--timeout", "20"])
        #expect(refused.status == 77, "the queue waits for a new key: \(refused.standardError)")
        for arguments in [["key", "status"], ["--json", "key", "status"], ["--json", "get", id], ["--json", "list"], ["rpc", "rpc.discover"]] {
            _ = try await run(arguments)
        }
        #expect(!replies.contains(Self.key), "a reply showed the key")
        #expect(!replies.contains("7c1d9a4e5b2f8a3c"))
        #if os(Linux)
        // Nor in what `ps` and /proc show of the daemon: its arguments and
        // environment. Non-dumpable, the daemon's environ is root's to read.
        for view in getuid() == 0 ? ["cmdline", "environ"] : ["cmdline"] {
            let bytes = try FileSystem.readFile("/proc/\(daemon.child.pid)/\(view)")
            #expect(bytes.firstRange(of: Array(Self.key.utf8)) == nil, "the daemon's \(view) holds the key")
        }
        #endif

        // Every file the daemon wrote, the database and its WAL included.
        _ = try await offPool { try daemon.terminate() }
        let listing = try await offPool { try runProcess("/usr/bin/find", [daemon.folder.path, "-type", "f"]) }
        let keyFile = daemon.folder.file("config/visioncraft/key")
        // Searched off the cooperative pool: images are large for a debug build.
        let holders = try await offPool { () -> [(path: String, holds: Bool)] in
            try listing.standardOutput.split(separator: "\n").map(String.init).map { path in
                (path, try FileSystem.readFile(path).firstRange(of: Array(Self.key.utf8)) != nil)
            }
        }
        for (path, holds) in holders {
            #expect(holds == (path == keyFile), "\(path) \(holds ? "holds" : "lacks") the key")
        }
        #expect(holders.count >= 6, "log, database, key file and images were scanned")
    }
}
