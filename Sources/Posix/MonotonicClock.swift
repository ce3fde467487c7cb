#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A point on the monotonic clock (`CLOCK_MONOTONIC`), for deadlines and
/// intervals.
///
/// Not `ContinuousClock`: that lives in the concurrency runtime, and linking
/// it into a static client such as vcctl adds the runtime and libdispatch,
/// their start-up work and page faults (README, "Speed"; BENCHMARKS.md,
/// "Notes from profiles").
public struct MonotonicInstant: Sendable, Comparable, Hashable {
    /// Nanoseconds since an arbitrary point (boot).
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Now.
    public static func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// The instant `duration` later.
    public func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds + duration.nanoseconds)
    }

    /// The time from this instant to `other` (negative if `other` is earlier).
    public func duration(to other: MonotonicInstant) -> Duration {
        .nanoseconds(other.nanoseconds - nanoseconds)
    }

    /// The time since this instant.
    public var elapsed: Duration {
        duration(to: .now())
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }
}
