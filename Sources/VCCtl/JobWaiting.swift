import Client
import CommandLineKit
import Jobs
import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// Waiting for jobs, shared by `submit --wait` and `wait`: the daemon waits
/// (job.wait) a second at a time, vcctl asks again until its own timeout,
/// redrawing the progress line on a terminal, and elsewhere printing the
/// job's last error each time it changes (a failing upstream is not
/// silence).
struct JobWaiting {
    let global: GlobalOptions
    let client: DaemonClient
    /// nil: no limit.
    let timeout: Duration?

    /// Waits for `id`; returns the job in its final state, or throws exit 75
    /// on timeout and 77 when the queue waits for a new key.
    func wait(
        for id: String, progress: ProgressLine, position: (index: Int, count: Int), context: CommandContext
    ) throws(CommandFailure) -> JobInfo {
        let started = MonotonicInstant.now()
        let drawing = progress.enabled
        var lastError: String?
        defer { progress.clear() }
        while true {
            var chunk = 1.0
            if let timeout {
                let left = (timeout - started.elapsed).seconds
                guard left > 0 else { throw CommandFailure("job \(id) is still not done after \(timeout.seconds) s", exitCode: .temporaryFailure) }
                chunk = min(chunk, left)
            }
            let result = try call(JobWait.Parameters(id: id, timeoutSeconds: chunk), waitFor: chunk)
            if result.job.isTerminal { return result.job }
            progress.draw(result.job, waited: started.elapsed, position: position)
            if !drawing, let error = result.job.error, "\(error.kind): \(error.message)" != lastError {
                lastError = "\(error.kind): \(error.message)"
                var line = "job \(id), attempt \(result.job.attempts): \(error.kind): \(error.message)"
                if let next = result.job.nextAttemptAt { line += " (next attempt at \(next))" }
                context.stderr.write(TerminalText.visible(line) + "\n")
            }
            if !result.timedOut {
                // The daemon stopped waiting early: the job's backend needs a key.
                let backend = result.job.params.backend
                let key = try keyStatus(backend)
                if key.state != "set" {
                    let reason = key.reason.map { "the upstream refused the key (\($0))" } ?? "no API key is set"
                    let command = backend.map { $0 == JobField.implicitBackend ? "vcctl key set" : "vcctl key set --backend \($0)" } ?? "vcctl key set"
                    throw CommandFailure("job \(id) waits: \(reason); \(command) stores one", exitCode: .noPermission)
                }
            }
        }
    }

    private func keyStatus(_ backend: String?) throws(CommandFailure) -> KeyStatus.Result {
        do {
            return try client.call(KeyStatus.self, KeyBackendParameters(backend: backend))
        } catch {
            throw Failure.from(error)
        }
    }

    private func call(_ parameters: JobWait.Parameters, waitFor seconds: Double) throws(CommandFailure) -> JobWait.Result {
        do {
            return try client.call(JobWait.self, parameters, timeout: .milliseconds(Int64(seconds * 1000) + 10_000))
        } catch {
            throw Failure.from(error)
        }
    }

    /// Waits for every job of `ids`, reporting each; the exit status of the
    /// worst (a failure over a cancellation over success). With `--json`,
    /// one value once all are done: the job, or an array of the jobs when
    /// several were waited for or `asList` (the caller was given a list).
    func waitAll(_ ids: [String], asList: Bool = false, context: CommandContext) throws(CommandFailure) -> ExitCode {
        var worst = ExitCode.success
        var finished: [JSON] = []
        let progress = ProgressLine(context: context, global: global)
        let interruption = Interruption.start()
        defer { interruption?.finished() }
        for (index, id) in ids.enumerated() {
            interruption?.waiting(for: ids[index...], clearLine: progress.enabled)
            let job = try wait(for: id, progress: progress, position: (index, ids.count), context: context)
            Self.report(job, global: global, context: context)
            if global.json { finished.append(job.result) }
            let code = Self.exitCode(job)
            if code != .success, worst == .success || code == .failure { worst = code }
        }
        if global.json {
            context.stdout.write(Output.json(finished.count == 1 && !asList ? finished[0] : .array(finished), context: context))
        }
        return worst
    }

    /// The exit status for a finished job: 0 succeeded, 1 failed, 2 cancelled.
    static func exitCode(_ job: JobInfo) -> ExitCode {
        switch job.state {
        case .succeeded: .success
        case .cancelled: ExitCode(rawValue: 2)
        default: .failure
        }
    }

    /// What a finished job prints: saved paths on stdout (not with `--json`,
    /// where `waitAll` prints the jobs), the failure on stderr.
    static func report(_ job: JobInfo, global: GlobalOptions, context: CommandContext) {
        if !global.json {
            for image in job.images { if let path = image.path { context.stdout.write(TerminalText.visible(path) + "\n") } }
        }
        switch job.state {
        case .failed: context.stderr.write(TerminalText.visible("job \(job.id) failed: \(job.error?.message ?? "no reason given")") + "\n")
        case .cancelled: context.stderr.write(TerminalText.visible("job \(job.id) was cancelled") + "\n")
        default: break
        }
    }
}
