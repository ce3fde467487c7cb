import Backends
import Configuration
import Jobs

/// One backend with what the queue keeps for it: the gate that paces its
/// requests, how it has been doing, and the name its rate-limit pause is
/// stored under. Jobs for one backend wait on its lane only, so that
/// backends can run side by side.
final class BackendLane: Sendable {
    /// The name jobs give it (`JobRequest.backend`).
    let name: String
    let backend: any ImageBackend
    /// Its jobs running at once at most (and its requests in flight).
    let maximumInFlight: Int
    /// The most images it makes in a local day and in a month.
    let caps: ImageCaps
    /// How its jobs retry (the queue's unless it sets its own).
    let retry: RetryPolicy?
    let gate: UpstreamGate
    let health: UpstreamHealth
    /// The store's name for this lane's pause (`JobStore.recordPause`).
    let pauseScope: String

    init(_ configured: ConfiguredBackend) {
        name = configured.name
        backend = configured.backend
        maximumInFlight = configured.maximumInFlight
        caps = configured.caps
        retry = configured.retry
        gate = UpstreamGate(maximumInFlight: configured.maximumInFlight, requestsPerMinute: configured.requestsPerMinute)
        health = UpstreamHealth()
        pauseScope = Self.pauseScope(of: configured.name)
    }

    /// The store's name for the pause of backend `name`: the implicit
    /// backend keeps the name its pause had when it was the only one.
    static func pauseScope(of name: String) -> String {
        name == JobField.implicitBackend ? "upstream" : "backend:\(name)"
    }

    /// Whether its jobs can run without an API key.
    var needsKey: Bool { backend.description.requiresKey }

    /// The job rules of its backend.
    var rules: BackendRules { backend.description.rules }
}

/// A backend as the daemon configures it for the scheduler.
package struct ConfiguredBackend: Sendable {
    /// The name jobs give it.
    package var name: String
    package var backend: any ImageBackend
    /// Its jobs (and requests) at once at most.
    package var maximumInFlight: Int
    /// Generations started per minute at most; 0 for no limit.
    package var requestsPerMinute: Int
    /// The most images it makes in a local day and in a month.
    package var caps: ImageCaps
    /// Its jobs' retry policy; nil: the queue's.
    package var retry: RetryPolicy?

    package init(
        name: String, backend: any ImageBackend, maximumInFlight: Int, requestsPerMinute: Int, caps: ImageCaps = ImageCaps(), retry: RetryPolicy? = nil
    ) {
        self.name = name
        self.backend = backend
        self.maximumInFlight = maximumInFlight
        self.requestsPerMinute = requestsPerMinute
        self.caps = caps
        self.retry = retry
    }
}
