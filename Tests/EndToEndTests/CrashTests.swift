import Imaging
import JobStore
import JSON
import Posix
import Testing
import TestSupport

/// The daemon killed with SIGKILL at random moments while it submits,
/// generates, downloads and writes: every acknowledged job still finishes
/// with exactly its images, none lost, none doubled, no half-written file
/// under a final name, and the database stays intact.
@Suite struct CrashTests {
    /// A seeded generator, so a failing run can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let arguments = [
        "--emulator", "--requests-per-minute", "0", "--max-in-flight", "3",
        "--emulator-faults", #"{"latency_ms":[1,6],"slow_download_rate":0.2}"#,
    ]

    /// Submits job `index` (an idempotency key makes a retried submit safe);
    /// nil when the daemon died before answering.
    static func submit(_ client: LineClient, index: Int) -> String? {
        let count = index % 7 + 1
        let request = #"{"jsonrpc":"2.0","id":\#(index),"method":"job.submit","params":{"prompt":"crash test \#(index)","image_count":\#(count),"idempotency_key":"job-\#(index)"}}"#
        guard (try? client.sendLine(request)) != nil, let line = try? client.readLine(timeout: .seconds(10)),
            let reply = try? JSONParser.parse(line)
        else { return nil }
        return reply["result"]?["id"]?.stringValue
    }

    @Test func sigkillAtRandomMomentsLosesAndDoublesNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let jobCount = 28
        let kills = 30
        let acknowledged = try await offPool { () -> [Int: String] in
            var random = SplitMix(state: 20_261_125)
            var acknowledged: [Int: String] = [:]
            var next = 0
            for _ in 0..<kills {
                let daemon = try DaemonProcess.start(arguments: Self.arguments, folder: folder)
                let moment = Int.random(in: 2...60, using: &random)
                let killer = try OSThread.spawn(name: "killer") {
                    // The random moment: a fault injected at an arbitrary time,
                    // not a wait for anything.
                    pauseBriefly(milliseconds: moment)
                    daemon.child.send(.kill)
                }
                if let client = try? daemon.connect() {
                    while next < jobCount, let id = Self.submit(client, index: next) {
                        acknowledged[next] = id
                        next += 1
                    }
                    client.close()
                }
                killer.join()
                _ = try? daemon.child.wait()
            }
            // The last run: no more kills; submit the rest and wait for all.
            let daemon = try DaemonProcess.start(arguments: Self.arguments, folder: folder)
            defer { _ = try? daemon.terminate() }
            let client = try daemon.connect()
            defer { client.close() }
            while next < jobCount {
                guard let id = Self.submit(client, index: next) else { throw TestFailure("a submit failed without a kill") }
                acknowledged[next] = id
                next += 1
            }
            return acknowledged
        }
        #expect(acknowledged.count == jobCount)

        // Every acknowledged job finishes, with exactly its images.
        let daemon = try await offPool { try DaemonProcess.start(arguments: Self.arguments, folder: folder) }
        defer { _ = try? daemon.terminate() }
        var expectedFiles: Set<String> = []
        for (index, id) in acknowledged.sorted(by: { $0.key < $1.key }) {
            let job = try await offPool { () -> JSON in
                let client = try daemon.connect()
                defer { client.close() }
                try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":60}}"#)
                return try JSONParser.parse(try client.readLine(timeout: .seconds(70)))["result"]?["job"] ?? .null
            }
            #expect(job["state"] == "succeeded", "job \(index): \(job)")
            let count = index % 7 + 1
            #expect(job["images_done"]?.intValue == count)
            let paths = (job["images"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            #expect(paths.count == count)
            for path in paths {
                expectedFiles.insert(path)
                let decoded = try PNGCodec.decode(try FileSystem.readFile(path))
                #expect(decoded.text.first { $0.keyword == "parameters" }?.text.hasPrefix("crash test \(index)\n") == true, "\(path)")
            }
        }
        // Nothing else in the output folder: no duplicates, no leftovers.
        let listing = try await offPool { try runProcess("/usr/bin/find", [folder.file("Pictures"), "-type", "f"]) }
        let files = Set(listing.standardOutput.split(separator: "\n").map(String.init))
        #expect(files == expectedFiles, "unexpected: \(files.subtracting(expectedFiles).sorted()); missing: \(expectedFiles.subtracting(files).sorted())")

        // The kills landed while jobs ran (else this proved little).
        let requeues = daemon.log().split(separator: "\n").filter { $0.contains("left running by the previous run") }.count
        #expect(requeues >= 3, "only \(requeues) restarts found jobs in flight")

        // Exactly one job per submission, and an intact database.
        _ = try? daemon.terminate()
        let store = try JobStore(path: folder.file("state/visioncraft/jobs.sqlite3"))
        #expect(try store.list(.init(limit: 1000)).count == jobCount, "a retried submit made no second job")
        let integrity: String? = try store.connection.statement("PRAGMA integrity_check").first([]) { row in row.text(0) }
        #expect(integrity == "ok")
    }
}
