#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Environment variables: the process's own, read on demand with `getenv`
/// (a short-lived client reads a handful and should not copy them all), or
/// an explicit table (for tests, and for children with a chosen environment).
public struct Environment: Sendable {
    private let table: [String: String]?

    /// The process's environment, read on demand.
    public static let process = Environment(table: nil)

    /// An explicit set of variables.
    public init(_ variables: [String: String]) {
        table = variables
    }

    private init(table: [String: String]?) {
        self.table = table
    }

    /// A variable's value, or nil when unset.
    public subscript(name: String) -> String? {
        if let table { return table[name] }
        return ProcessEnvironment.variable(name)
    }

    /// The variables for a child process: nil means "inherit this process's".
    public var variablesForChild: [String: String]? { table }
}
