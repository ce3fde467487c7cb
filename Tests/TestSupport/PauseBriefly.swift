#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pauses the calling thread briefly, for bounded polling of something that
/// offers no event (a log file). Never use it to wait for a fixed time.
public func pauseBriefly(milliseconds: Int = 5) {
    var interval = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
    nanosleep(&interval, nil)
}
