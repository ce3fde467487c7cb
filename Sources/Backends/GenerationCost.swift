import Jobs

/// What one generation call cost, as the backend reported it with its
/// answer: nothing is estimated, and what it did not say stays nil. The
/// images made are counted from the answer itself; the time the daemon
/// waited is measured by the scheduler.
public struct GenerationCost: Sendable, Equatable {
    /// Tokens the call was billed in (OpenAI's GPT image models); nil for
    /// a backend that reports none (dall-e models, local servers).
    public var tokens: TokenCounts?
    /// How long the backend says it worked on the call (ComfyUI's
    /// execution, from its `execution_start` to `execution_success`); nil
    /// when it does not say, and the daemon's own measure stands.
    public var duration: Duration?

    public init(tokens: TokenCounts? = nil, duration: Duration? = nil) {
        self.tokens = tokens
        self.duration = duration
    }

    /// Nothing reported.
    public static let unreported = GenerationCost()
}
