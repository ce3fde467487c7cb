/// A broken promise found by a fuzz target: the input and what went wrong.
/// Under libFuzzer the driver turns it into a crash, so the input is saved.
public struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The first 200 bytes of an input, escaped, for a failure's message.
    static func show(_ input: [UInt8]) -> String {
        let text = String(decoding: input.prefix(200), as: UTF8.self).debugDescription
        return input.count > 200 ? text + "..." : text
    }
}
