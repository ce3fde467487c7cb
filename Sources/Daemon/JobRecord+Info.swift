import Jobs
import JobStore
import JSON
import Posix
import Scheduler
import VisionCraftProtocol

extension JobRecord {
    /// What the store knows without the stored JSON, shown for a text that
    /// cannot be read (a hand-edited database).
    private var knownParameters: JobRequest { JobRequest(prompt: prompt, imageCount: imageCount) }

    /// The job as the protocol shows it, its parameters written as they
    /// were stored (`JobInfo.keepStoredParameters`); a stored text that is
    /// not a JSON object (a hand-edited database) shows what the store knows.
    func info(position: Int? = nil) -> JobInfo {
        func time(_ milliseconds: Int64?) -> String? { milliseconds.map(storedTime) }
        let known = knownParameters
        var info = JobInfo(
            id: id, state: state, params: known,
            images: images.map { JobInfo.Image(index: $0.index, state: $0.state, path: $0.path) },
            imagesDone: imagesDone, attempts: attempts, error: error.map { JobInfo.Failure(kind: $0.kind, message: $0.message) },
            position: state == .queued ? position : nil, nextAttemptAt: state == .queued ? time(nextAttemptAt) : nil,
            createdAt: time(createdAt) ?? "", updatedAt: time(updatedAt) ?? "", startedAt: time(startedAt), finishedAt: time(finishedAt)
        )
        if let document = try? JSONParser.parse(parameters), case .object = document {
            info.keepStoredParameters(document, fallback: known)
        }
        return info
    }
}

extension JobSummaryRecord {
    /// The job as a listing line shows it (`job.list` with `summary`).
    var summary: JobSummary {
        JobSummary(
            id: id, state: state, imageCount: imageCount, imagesDone: imagesDone, createdAt: storedTime(createdAt), prompt: prompt
        )
    }
}

extension QueuedJob {
    /// The job as the protocol shows it, with its queue position.
    var info: JobInfo { record.info(position: position) }
}

/// A stored time (milliseconds since 1970) as the protocol writes it (RFC 3339).
private func storedTime(_ milliseconds: Int64) -> String {
    WallClock(milliseconds: milliseconds).iso8601
}
