import Posix

/// Whether this test run is a sanitizer run: `VISIONCRAFT_SANITIZE` set, as
/// the README's `-sanitize=thread` and `-sanitize=address` commands do. The
/// products are then built differently (dynamically linked, the sanitizer
/// runtime exported) and run five to fifteen times slower.
public enum SanitizedRun {
    public static let isActive = ProcessEnvironment.variable("VISIONCRAFT_SANITIZE") != nil

    /// In a sanitizer run, `-E NAME` for each of its settings that is set
    /// (and the backtracer off, as `isolatedEnvironment` does), else nothing:
    /// systemd-socket-activate gives the program it starts an environment of
    /// its own (LISTEN_* and what `-E` names), and a daemon started without
    /// them would write its sanitizer report to a standard error nobody reads
    /// (blocking its exit once the pipe is full) instead of where the run
    /// collects reports.
    public static var socketActivateArguments: [String] {
        guard isActive else { return [] }
        let settings = ["VISIONCRAFT_SANITIZE", "ASAN_OPTIONS", "TSAN_OPTIONS"].filter { ProcessEnvironment.variable($0) != nil }
        return (settings + ["SWIFT_BACKTRACE=enable=no"]).flatMap { ["-E", $0] }
    }
}
