import CommandLineKit
/// Why the daemon cannot start or run, in words a user can act on.
package struct DaemonError: Error, Sendable, CustomStringConvertible {
    /// The kinds of failure, each with its exit status.
    package enum Kind: Sendable, Equatable {
        /// Another daemon owns the socket.
        case alreadyRunning
        /// Another daemon owns the state folder (and its job database).
        case stateFolderInUse
        /// The socket's folder or path is unsafe or unusable (permissions,
        /// owner, not a socket, too long).
        case unsafeLocation
        /// Inherited sockets (LISTEN_FDS) are not usable.
        case activation
        /// A setting is wrong (the upstream URL, the CA file).
        case configuration
        /// This build is broken (its embedded documents do not parse).
        case software
        /// The job database is damaged (see `DatabaseCheck`).
        case damagedDatabase
        /// A system call failed.
        case system
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The process exit status for this failure (see visioncraftd(8)).
    package var exitCode: ExitCode {
        switch kind {
        case .alreadyRunning, .stateFolderInUse: .failure
        case .unsafeLocation, .activation, .configuration: .config
        case .damagedDatabase: .dataError
        case .software: .software
        case .system: .systemError
        }
    }

    package var description: String { message }
}
