import Posix

/// Whether this run (of the tests, or of a program of the harness) is a
/// sanitizer run: `VISIONCRAFT_SANITIZE` set, as
/// the README's `-sanitize=thread` and `-sanitize=address` commands do. The
/// products are then built differently (dynamically linked, the sanitizer
/// runtime exported) and run five to fifteen times slower.
public enum SanitizedRun {
    public static let isActive = ProcessEnvironment.variable("VISIONCRAFT_SANITIZE") != nil

    /// What a process a test or a campaign starts needs from a sanitizer run (nothing in
    /// a plain run): the run's sanitizer settings, so its reports land where
    /// the run collects them, and the Swift runtime's backtracer off (it
    /// spawns swift-backtrace from the crash signal handler, a clone that
    /// fails a check of ThreadSanitizer's own, and a daemon a plugin aborts
    /// would exit 66 instead of dying of SIGABRT). `Sandbox.environment` adds
    /// these; a test that builds an environment from nothing adds them too.
    public static var environment: [String: String] {
        guard isActive else { return [:] }
        var settings = ["SWIFT_BACKTRACE": "enable=no"]
        for name in ["VISIONCRAFT_SANITIZE", "ASAN_OPTIONS", "TSAN_OPTIONS"] {
            if let value = ProcessEnvironment.variable(name) { settings[name] = value }
        }
        return settings
    }

    /// What a process whose SIGSEGV is under test needs on top of
    /// `environment` (nothing in a plain run): the sanitizer's own SIGSEGV
    /// handler off (`handle_segv=0`). It otherwise handles the signal before
    /// the process's own handler, reports it (a report fails the run) and
    /// exits with status 66 or 1 instead of dying of the signal.
    public static var leavingSIGSEGVAlone: [String: String] {
        guard isActive else { return [:] }
        var settings: [String: String] = [:]
        for name in ["ASAN_OPTIONS", "TSAN_OPTIONS"] {
            settings[name] = (ProcessEnvironment.variable(name).map { $0 + " " } ?? "") + "handle_segv=0"
        }
        return settings
    }

    /// `environment` as systemd-socket-activate arguments (`-E NAME=VALUE`):
    /// it gives the program it starts an environment of its own (LISTEN_* and
    /// what `-E` names), and a daemon started without them wrote its leak
    /// report to a standard error nobody read, blocking its exit once the
    /// pipe was full.
    public static var socketActivateArguments: [String] {
        environment.sorted { $0.key < $1.key }.flatMap { ["-E", "\($0.key)=\($0.value)"] }
    }
}
