@testable import Daemon
import Jobs
import JSON
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// `job.retry` of a job a file hook failed: the hooks that had not succeeded
/// run again, with the real exec plugin.
@Suite struct HookRetryTests {
    /// An exec step that appends `name` to `log` and then runs `then`.
    func step(_ name: String, log: String, then: String) throws -> PluginStep {
        let command = "printf '%s %s\\n' \(name) \"$VISIONCRAFT_IMAGE\" >> '\(log)'; \(then)"
        return try PluginStep(parsing: "exec:" + JSONSerializer.serializeToString(["command": .string(command)]))
    }

    func lines(_ path: String) throws -> [String] {
        String(decoding: try FileSystem.readFile(path), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func wait(_ client: RPCClient, _ id: String) throws -> JobInfo {
        try client.call(JobWait.self, .init(id: id, timeoutSeconds: 60), timeout: TestTime.scaled(.seconds(70))).job
    }

    @Test func retryRunsTheHookThatFailedAndOnlyThen() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let log = scratch.file("runs")
        let marker = scratch.file("second-time")
        // The first step always works; the second fails (exit 3) until its
        // marker file exists, which its first run makes.
        let plugins = [
            try step("first", log: log, then: "exit 0"),
            try step("second", log: log, then: "if [ -e '\(marker)' ]; then exit 0; fi; : > '\(marker)'; exit 3"),
        ]
        let (failed, retried) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
        }) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", imageCount: 2, plugins: plugins))
            let failed = try wait(client, submitted.id)
            _ = try client.call(JobRetry.self, .init(id: submitted.id))
            return (failed, try wait(client, submitted.id))
        }
        #expect(failed.state == .failed)
        #expect(failed.error?.kind == .plugin)
        #expect(failed.error?.message.contains("exited with status 3") == true, "\(String(describing: failed.error))")
        #expect(retried.state == .succeeded, "\(String(describing: retried.error))")
        let paths = retried.images.compactMap(\.path)
        #expect(paths.count == 2)
        let runs = try lines(log)
        // Image 1: first, second (fails). Retry: image 1's second again, then
        // image 2 (never saved before) both.
        #expect(runs == ["first \(paths[0])", "second \(paths[0])", "second \(paths[0])", "first \(paths[1])", "second \(paths[1])"])
    }

    @Test func aHookThatKeepsFailingKeepsTheJobFailed() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let log = scratch.file("runs")
        let (first, second) = try await withInProcessDaemon({ options in
            options.set("upstream.url", "emulator")
            options.set("queue.requests_per_minute", 0)
        }) { client, _ in
            let submitted = try client.call(JobSubmit.self, JobRequest(prompt: "a fox", plugins: [try step("always", log: log, then: "exit 3")]))
            let first = try wait(client, submitted.id)
            _ = try client.call(JobRetry.self, .init(id: submitted.id))
            return (first, try wait(client, submitted.id))
        }
        #expect(first.state == .failed)
        #expect(second.state == .failed, "a retry without the hook succeeding is no success")
        #expect(second.error?.message.contains("exited with status 3") == true, "\(String(describing: second.error))")
        #expect(try lines(log).count == 2, "the hook ran again on the retry")
    }
}
