import Jobs
import JobStore
import JSON

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
