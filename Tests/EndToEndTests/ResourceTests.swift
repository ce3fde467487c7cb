import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What machines do to a running daemon's files: its state folder deleted,
/// its output folder full. Clear errors, nothing acknowledged lost, and
/// recovery once the cause is fixed.
@Suite struct ResourceTests {
    /// One JSON-RPC call on a fresh connection.
    static func call(_ daemon: DaemonProcess, _ method: String, _ params: String = "{}", timeout: Duration = .seconds(30)) throws -> JSON {
        let client = try daemon.connect()
        defer { client.close() }
        try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
        return try JSONParser.parse(try client.readLine(timeout: timeout))
    }

    @Test func aDeletedStateFolderLosesNoAcknowledgedJob() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = ["--emulator", "--requests-per-minute", "0"]
        let (first, second, log) = try await offPool { () -> (String, String, String) in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            let first = try Self.call(daemon, "job.submit", #"{"prompt":"before"}"#)["result"]?["id"]?.stringValue ?? ""
            _ = try Self.call(daemon, "job.wait", #"{"id":"\#(first)","timeout_seconds":20}"#)
            TemporaryDirectory.removeTree(folder.file("state"))
            let second = try Self.call(daemon, "job.submit", #"{"prompt":"after"}"#)["result"]?["id"]?.stringValue ?? ""
            _ = try Self.call(daemon, "job.wait", #"{"id":"\#(second)","timeout_seconds":20}"#)
            return (first, second, daemon.log())
        }
        #expect(log.contains("was deleted while the daemon ran; written again with every job it held"), "\(log)")
        // A new daemon on the same folder has both jobs, finished.
        let states = try await offPool { () -> [JSON?] in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            return try [first, second].map { try Self.call(daemon, "job.get", #"{"id":"\#($0)"}"#)["result"]?["state"] }
        }
        #expect(states == ["succeeded", "succeeded"])
    }

    @Test(.enabled(if: getuid() == 0 && FileSystem.isExecutable("/usr/bin/mount"), "needs root to mount a small tmpfs"))
    func aFullOutputFolderFailsTheJobClearlyAndARetrySucceeds() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let full = folder.file("full")
        try FileSystem.makeDirectories(full, permissions: 0o700)
        let mounted = try await offPool { try runProcess("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", full]) }
        // Root without the right to mount (a container): nothing to test here.
        guard mounted.status == 0 else { return }
        defer { _ = try? runProcess("/usr/bin/umount", [full]) }
        // Fill it.
        try FileSystem.writeFileAtomically("\(full)/filler", [UInt8](repeating: 0, count: 60 << 10))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"], folder: folder) }
        defer { daemon.cleanUp() }
        let (failed, leftovers, retried, generations) = try await offPool { () -> (JSON, [String], JSON, Int?) in
            let id = try Self.call(daemon, "job.submit", #"{"prompt":"no room","image_count":2,"output_dir":"\#(full)"}"#)["result"]?["id"]?.stringValue ?? ""
            let failed = try Self.call(daemon, "job.wait", #"{"id":"\#(id)","timeout_seconds":20}"#)["result"]?["job"] ?? .null
            var leftovers: [String] = []
            func walk(_ directory: String) {
                for name in ((try? FileSystem.contentsOfDirectory(directory)) ?? nil) ?? [] where name != "filler" {
                    let path = "\(directory)/\(name)"
                    if (try? FileSystem.linkStatus(path))??.kind == .directory { walk(path) } else { leftovers.append(path) }
                }
            }
            walk(full)
            _ = try FileSystem.removeFile("\(full)/filler")
            _ = try Self.call(daemon, "job.retry", #"{"id":"\#(id)"}"#)
            let retried = try Self.call(daemon, "job.wait", #"{"id":"\#(id)","timeout_seconds":20}"#)["result"]?["job"] ?? .null
            // The embedded emulator's own count of /generate requests.
            let upstream = try Self.call(daemon, "daemon.status")["result"]?["upstream"]?["url"]?.stringValue ?? ""
            let port = upstream.split(separator: ":").last.flatMap { UInt16($0) } ?? 0
            let stats = try JSONParser.parse(try RawHTTPClient(port: port).request("GET", "/_emulator/stats").body)
            let generations = stats["requests"]?["/generate"]?.objectValue.map { object in object.reduce(0) { $0 + ($1.value.intValue ?? 0) } }
            return (failed, leftovers, retried, generations)
        }
        #expect(failed["state"] == "failed")
        #expect(failed["error"]?["kind"] == "storage")
        let message = failed["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("No space left on device") && message.contains("then vcctl retry"), "\(message)")
        #expect(leftovers.isEmpty, "no half-written or temporary file: \(leftovers)")
        #expect(retried["state"] == "succeeded", "\(retried)")
        let paths = (retried["images"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
        #expect(paths.count == 2)
        for path in paths { try expectSavedPNG(path, under: full) }
        #expect(generations == 1, "the retry downloads the known URLs again instead of generating again")
    }
}
