#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` and returns the processor time the calling thread spent in
/// it. Unlike wall time, this does not grow when other tests crowd the
/// machine, so bounds on it ("linear, not quadratic") hold on a busy CI host.
public func measureThreadCPUTime(_ body: () throws -> Void) rethrows -> Duration {
    func now() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }
    let start = now()
    try body()
    return now() - start
}
