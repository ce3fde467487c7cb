/// A failure of the harness (a daemon that did not start, a server that
/// closed a connection early, a program that is not built), with a message
/// that says what to do.
public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
