/// A broken promise found by a fuzz target: the input and what went wrong.
/// Under libFuzzer the driver turns it into a crash, so the input is saved.
public struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
