/// What the daemon has started, each with how to stop it: stopped in the
/// reverse order by one teardown, whether the start failed half-way or the
/// daemon served and was asked to stop (swift-service-lifecycle's shape).
/// Used on the one thread that runs the daemon.
struct ServiceStack {
    private var stops: [(name: String, stop: () -> Void)] = []

    /// `name` is up; `stop` undoes it.
    mutating func started(_ name: String, stop: @escaping () -> Void) {
        stops.append((name, stop))
    }

    /// Stops everything, the last started first.
    mutating func stopAll(log: Logger) {
        while let (name, stop) = stops.popLast() {
            log.debug("stopping \(name)")
            stop()
        }
    }
}
