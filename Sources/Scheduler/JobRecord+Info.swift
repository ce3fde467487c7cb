import JobStore
import JSON
import Posix
import VisionCraftProtocol

extension JobRecord {
    /// The job's parameters, read back from the stored JSON.
    var jobParameters: JobParameters {
        if let json = try? JSONParser.parse(parameters), let read = try? JobParameters(json: json, path: "params") {
            return read
        }
        return knownParameters
    }

    /// What the store knows without the stored JSON, for a text that cannot
    /// be read (a hand-edited database).
    private var knownParameters: JobParameters { JobParameters(prompt: prompt, imageCount: imageCount) }

    /// The job as the protocol shows it, its parameters written as they
    /// were stored (`JobInfo.keepStoredParameters`); a stored text that is
    /// not a JSON object (a hand-edited database) shows what the store knows.
    public func info(position: Int? = nil) -> JobInfo {
        func time(_ milliseconds: Int64?) -> String? { milliseconds.map { WallClock(milliseconds: $0).iso8601 } }
        let known = knownParameters
        var info = JobInfo(
            id: id, state: state.rawValue, params: known,
            images: images.map { JobInfo.Image(index: $0.index, state: $0.state.rawValue, path: $0.path) },
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
