/// A failure of a reliability run: what broke, in words a person can act on.
public struct ReliabilityError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
