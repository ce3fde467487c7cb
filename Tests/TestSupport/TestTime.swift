import Posix

/// How much longer waits may take in this run: ten times under a sanitizer
/// (`VISIONCRAFT_SANITIZE` set, as the README's sanitizer runs do), where
/// everything runs five to fifteen times slower; once otherwise.
public enum TestTime {
    public static let scale: Int64 = ProcessEnvironment.variable("VISIONCRAFT_SANITIZE") == nil ? 1 : 10

    /// `duration`, stretched by `scale`.
    public static func scaled(_ duration: Duration) -> Duration {
        duration * scale
    }
}
