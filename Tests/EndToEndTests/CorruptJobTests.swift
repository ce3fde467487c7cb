import JobStore
import JSON
import Posix
import Testing
import TestSupport

/// A stored job whose parameters no longer read back (a damaged or
/// hand-edited database) fails with the reason `corrupt_job`: it never runs
/// with the default model and no plugins, and costs no generation.
@Suite struct CorruptJobTests {
    @Test(arguments: [
        ("not json at all", "its stored parameters are not JSON"),
        (#"{"prompt":"a fox","model":7}"#, "its stored parameters do not read back: params.model: expected a string, got number"),
        (#"{"prompt":"a fox","steps":999}"#, "its stored parameters do not read back: params.steps: expected an integer from 1 to 150, got 999"),
        (#"{"prompt":"a fox","plugins":["upscale"],"colour":"red"}"#, "its stored parameters do not read back: params.colour: unknown field"),
    ])
    func aJobThatDoesNotReadBackFailsAsCorrupt(stored: String, reason: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = folder.file("state/visioncraft/jobs.sqlite3")
        let (answer, log) = try await offPool { () -> (JSON, String) in
            // The first start makes the database; the job goes in while no daemon runs.
            _ = try DaemonProcess.start(arguments: ["--emulator"], folder: folder).terminate()
            do {
                let store = try JobStore(path: database)
                _ = try store.insert(NewJob(id: "01JD0000000000000000C0RRPT", parameters: stored, prompt: "a fox", imageCount: 1, createdAt: WallClock.now().milliseconds))
            }
            let daemon = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            defer { _ = try? daemon.terminate() }
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.wait","params":{"id":"01JD0000000000000000C0RRPT","timeout_seconds":30}}"#)
            return (try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(40)))), daemon.log())
        }
        let job = answer["result"]?["job"]
        #expect(job?["state"] == "failed", "\(answer)")
        #expect(job?["error"]?["kind"] == "corrupt_job", "\(answer)")
        let message = job?["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("job 01JD0000000000000000C0RRPT is corrupt in the database: \(reason)"), "\(message)")
        #expect(job?["attempts"] == 1 || job?["attempts"] == 0, "\(answer)")
        #expect(job?["images"]?.arrayValue?.allSatisfy { $0["path"] == nil || $0["path"] == .null } == true, "nothing was made: \(answer)")
        #expect(log.contains("job 01JD0000000000000000C0RRPT is corrupt in the database"), "the log says why: \(log)")
    }
}
