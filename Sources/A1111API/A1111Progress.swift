import Backends
import JSON

/// How far the server is with what it is making now (`GET
/// /sdapi/v1/progress`): for a job's events while its request runs. The
/// server reports only the generation running at the time, whoever sent it.
package struct A1111Progress: Sendable, Equatable {
    /// From 0 to 1.
    package var fraction: Double
    /// What the server estimates is left; nil when it does not say.
    package var remaining: Duration?
    /// Whether the server is making anything (`state.job_count` above 0).
    package var busy: Bool

    package init(fraction: Double, remaining: Duration?, busy: Bool) {
        self.fraction = fraction
        self.remaining = remaining
        self.busy = busy
    }

    /// `{progress, eta_relative, state: {job_count, ...}, current_image, textinfo}`.
    ///
    /// - Throws: `.protocolViolation` when `progress` is not a number.
    static func read(_ json: JSON) throws(BackendFailure) -> A1111Progress {
        guard let progress = json["progress"]?.doubleValue, progress.isFinite else {
            throw .protocolViolation("GET /sdapi/v1/progress answered no \"progress\" number")
        }
        let eta = json["eta_relative"]?.doubleValue.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        return A1111Progress(
            fraction: min(max(progress, 0), 1), remaining: eta.map { .milliseconds(Int64(min($0, 86_400) * 1000)) },
            busy: (json["state"]?["job_count"]?.intValue ?? 0) > 0
        )
    }
}
