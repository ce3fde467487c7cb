/// Tokens a generation was billed in, as the backend reported them
/// (OpenAI's `usage`: `input_tokens`, `output_tokens`, `total_tokens`), or
/// their sums over several generations. Each is nil when the backend did
/// not say: a count is never made up, and an unreported one is not 0.
public struct TokenCounts: Sendable, Equatable {
    /// The prompt's text and any input images.
    public var input: Int?
    /// The images made.
    public var output: Int?
    /// What the backend reported as the total (not summed here: a backend
    /// that reports only a total has it kept as such).
    public var total: Int?

    public init(input: Int? = nil, output: Int? = nil, total: Int? = nil) {
        self.input = input
        self.output = output
        self.total = total
    }

    /// The counts a backend reported; nil when it reported none of them.
    public init?(reported input: Int?, output: Int?, total: Int?) {
        guard input != nil || output != nil || total != nil else { return nil }
        self.init(input: input, output: output, total: total)
    }
}
