import Jobs
import JobStore
import JSON
import Posix
import VisionCraftProtocol

extension JobRecord {
    /// The job's request as it was stored at submit, resolved and checked
    /// then: read back as it is, never re-checked against today's rules nor
    /// replaced by defaults.
    ///
    /// - Throws: `CorruptJob` when the stored text is not a request (a
    ///   damaged or hand-edited database): such a job fails, it never runs
    ///   with the default model and no plugins.
    func storedRequest() throws(CorruptJob) -> JobRequest {
        let document: JSON
        do {
            document = try JSONParser.parse(parameters)
        } catch {
            throw CorruptJob(id: id, reason: "its stored parameters are not JSON (\(error))")
        }
        do {
            return try JobRequest(json: document, path: "params")
        } catch {
            throw CorruptJob(id: id, reason: "its stored parameters do not read back: \(error)")
        }
    }

    /// What the store knows without the stored JSON, shown for a text that
    /// cannot be read (a hand-edited database).
    private var knownParameters: JobRequest { JobRequest(prompt: prompt, imageCount: imageCount) }

    /// The job as the protocol shows it, its parameters written as they
    /// were stored (`JobInfo.keepStoredParameters`); a stored text that is
    /// not a JSON object (a hand-edited database) shows what the store knows.
    public func info(position: Int? = nil) -> JobInfo {
        func time(_ milliseconds: Int64?) -> String? { milliseconds.map { WallClock(milliseconds: $0).iso8601 } }
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

/// A stored job that cannot be read back: it fails with the kind
/// `corrupt_job` and this reason.
struct CorruptJob: Error, CustomStringConvertible {
    let id: String
    let reason: String

    var description: String {
        "job \(id) is corrupt in the database: \(reason); it cannot run (submit it again; vcctl get \(id) shows what is known)"
    }
}
