@testable import Daemon
import Posix
import Testing

/// One teardown, in reverse order of the starts, run once.
@Suite struct ServiceStackTests {
    @Test func whatStartedStopsLastFirstAndOnlyOnce() {
        let stopped = Lock<[String]>([])
        var services = ServiceStack()
        for name in ["socket", "lock", "upstream", "queue", "server"] {
            services.started(name) { stopped.withLock { $0.append(name) } }
        }
        services.stopAll(log: Logger(minimumLevel: .error))
        services.stopAll(log: Logger(minimumLevel: .error))
        #expect(stopped.withLock { $0 } == ["server", "queue", "upstream", "lock", "socket"])
    }
}
