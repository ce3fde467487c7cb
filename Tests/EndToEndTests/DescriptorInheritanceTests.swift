import JSON
import Posix
import Testing
import TestSupport

#if os(Linux)
import Glibc

/// A command run by the `exec` plugin gets descriptors 0 to 2 and nothing
/// else of the daemon's (not its upstream connection, curl's wake-up
/// socketpair, the socket, the database or the plugin's own pipe), and every
/// descriptor the daemon holds is close-on-exec.
@Suite struct DescriptorInheritanceTests {
    /// `folder/plugins` holding a copy of the exec plugin.
    static func pluginFolder(in folder: TemporaryDirectory) throws -> String {
        let plugins = folder.file("plugins")
        try FileSystem.makeDirectories(plugins, permissions: 0o700)
        let library = "\(BuiltProducts.directory)/libvisioncraft-exec.so"
        try FileSystem.writeFileAtomically("\(plugins)/visioncraft-exec.so", try FileSystem.readFile(library), permissions: 0o755)
        return plugins
    }

    /// The descriptor numbers in `ls -l /proc/self/fd` output, with what each is.
    static func descriptors(inListing listing: String) -> [Int: String] {
        var found: [Int: String] = [:]
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " -> ", maxSplits: 1)
            guard parts.count == 2, let number = parts[0].split(separator: " ").last.flatMap({ Int($0) }) else { continue }
            found[number] = String(parts[1])
        }
        return found
    }

    @Test func anExecCommandInheritsOnlyItsStandardStreams() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plugins = try Self.pluginFolder(in: folder)
        let listing = folder.file("fds.txt")
        let step = "exec:" + JSONSerializer.serializeToString(["command": .string("ls -l /proc/self/fd > \(listing)")])
        let submit = JSONSerializer.serializeToString([
            "jsonrpc": "2.0", "id": 1, "method": "job.submit", "params": ["prompt": "descriptors", "plugins": [.string(step)]],
        ])
        let (job, daemonFlags) = try await offPool { () -> (JSON, [Int: (flags: Int, target: String)]) in
            // A non-dumpable daemon's /proc/PID/fdinfo is root's to read.
            let dumpable = getuid() == 0 ? [] : ["--allow-core-dumps"]
            let daemon = try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0", "--plugin-dir", plugins] + dumpable, folder: folder)
            defer { _ = try? daemon.terminate() }
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(submit)
            let reply = try JSONParser.parse(try client.readLine())
            let id = try #require(reply["result"]?["id"]?.stringValue, "\(reply)")
            try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":60}}"#)
            let job = try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(70))))
            // The daemon's own descriptors, its upstream connection still cached.
            var flags: [Int: (flags: Int, target: String)] = [:]
            let pid = daemon.child.pid
            let entries = (try FileSystem.contentsOfDirectory("/proc/\(pid)/fd") ?? []).compactMap { Int($0) }
            for fd in entries {
                guard let info = try? FileSystem.readFile("/proc/\(pid)/fdinfo/\(fd)") else { continue }
                let text = String(decoding: info, as: UTF8.self)
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                    let value = Int(line.dropFirst("flags:".count).filter { $0 != " " && $0 != "\t" }, radix: 8)
                else { continue }
                flags[fd] = (value, (try? FileSystem.readLink("/proc/\(pid)/fd/\(fd)")) ?? "?")
            }
            return (job, flags)
        }
        #expect(job["result"]?["job"]?["state"] == "succeeded", "\(job)")
        let seen = Self.descriptors(inListing: String(decoding: try FileSystem.readFile(listing), as: UTF8.self))
        // 3 is ls's own handle on /proc/self/fd.
        #expect(Set(seen.keys) == [0, 1, 2, 3], "the command inherited: \(seen)")
        let closeOnExec = 0o2_000_000
        #expect(daemonFlags.keys.contains { $0 > 2 }, "the daemon's descriptors were read: \(daemonFlags)")
        let inherited = daemonFlags.filter { $0.key > 2 && $0.value.flags & closeOnExec == 0 }
        #expect(inherited.isEmpty, "descriptors of the daemon without close-on-exec: \(inherited.map { "\($0.key) -> \($0.value.target)" })")
    }
}
#endif
