/// How far a backend is with a generation, while it runs.
public struct GenerationProgress: Sendable, Equatable {
    /// From 0 to 1.
    public var fraction: Double
    /// What the backend estimates is left; nil when it does not say.
    public var remaining: Duration?

    public init(fraction: Double, remaining: Duration? = nil) {
        self.fraction = min(max(fraction, 0), 1)
        self.remaining = remaining
    }
}
