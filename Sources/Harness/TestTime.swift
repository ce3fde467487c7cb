import Posix

/// How much longer waits may take in this run: ten times in a sanitizer run
/// (`SanitizedRun`), where everything runs five to fifteen times slower; once
/// otherwise.
public enum TestTime {
    public static let scale: Int64 = SanitizedRun.isActive ? 10 : 1

    /// `duration`, stretched by `scale`.
    public static func scaled(_ duration: Duration) -> Duration {
        duration * scale
    }
}
