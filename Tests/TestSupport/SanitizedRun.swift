import Posix

/// Whether this test run is a sanitizer run: `VISIONCRAFT_SANITIZE` set, as
/// the README's `-sanitize=thread` and `-sanitize=address` commands do. The
/// products are then built differently (dynamically linked, the sanitizer
/// runtime exported) and run five to fifteen times slower.
public enum SanitizedRun {
    public static let isActive = ProcessEnvironment.variable("VISIONCRAFT_SANITIZE") != nil
}
