// Public, not package, with the witnesses of its public conformances:
// Daemon.run returns it, and the tools package (Benchmarks/) runs a daemon.
/// A process exit status, with the sysexits(3) names.
public struct ExitCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    package static let success = ExitCode(rawValue: 0)
    package static let failure = ExitCode(rawValue: 1)
    /// EX_USAGE: the command line is wrong.
    package static let usage = ExitCode(rawValue: 64)
    /// EX_DATAERR: the input data is wrong (a damaged database).
    package static let dataError = ExitCode(rawValue: 65)
    /// EX_UNAVAILABLE: a service is unavailable.
    package static let unavailable = ExitCode(rawValue: 69)
    /// EX_SOFTWARE: an internal error.
    package static let software = ExitCode(rawValue: 70)
    /// EX_OSERR: a system error.
    package static let systemError = ExitCode(rawValue: 71)
    /// EX_CANTCREAT: an output file cannot be created.
    package static let cannotCreate = ExitCode(rawValue: 73)
    /// EX_TEMPFAIL: try again later (a timeout).
    package static let temporaryFailure = ExitCode(rawValue: 75)
    /// EX_NOPERM: not allowed.
    package static let noPermission = ExitCode(rawValue: 77)
    /// EX_CONFIG: a configuration error.
    package static let config = ExitCode(rawValue: 78)

    public var description: String { String(rawValue) }
}
