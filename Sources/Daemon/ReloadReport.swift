/// What a configuration reload did.
package struct ReloadReport: Sendable, Equatable {
    /// The file read.
    package let path: String
    /// Keys whose value changed (flags given at start still win over them).
    package let changed: [String]
    /// Those of `changed` that take effect at the next start only.
    package let restartNeeded: [String]
}
