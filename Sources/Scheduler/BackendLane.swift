import Backends
import Jobs

/// One backend with what the queue keeps for it: the gate that paces its
/// requests, how it has been doing, and the name its rate-limit pause is
/// stored under. Jobs for one backend wait on its lane only, so that
/// backends can run side by side.
final class BackendLane: Sendable {
    /// The name jobs give it (`JobRequest.backend`).
    let name: String
    let backend: any ImageBackend
    let gate: UpstreamGate
    let health: UpstreamHealth
    /// The store's name for this lane's pause (`JobStore.recordPause`).
    let pauseScope: String

    init(name: String, backend: any ImageBackend, maximumInFlight: Int, requestsPerMinute: Int, pauseScope: String) {
        self.name = name
        self.backend = backend
        gate = UpstreamGate(maximumInFlight: maximumInFlight, requestsPerMinute: requestsPerMinute)
        health = UpstreamHealth()
        self.pauseScope = pauseScope
    }

    /// The job rules of its backend.
    var rules: BackendRules { backend.description.rules }
}
