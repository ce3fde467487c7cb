/// What a configuration reload did.
public struct ReloadReport: Sendable, Equatable {
    /// The file read.
    public let path: String
    /// Keys whose value changed (flags given at start still win over them).
    public let changed: [String]
    /// Those of `changed` that take effect at the next start only.
    public let restartNeeded: [String]
}
