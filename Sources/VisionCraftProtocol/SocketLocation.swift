/// Where the daemon's socket is, resolved the same way by the daemon and
/// every client:
///
/// 1. `--socket PATH`;
/// 2. the `VISIONCRAFT_SOCKET` environment variable;
/// 3. `$XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock`;
/// 4. `/tmp/visioncraft-$UID/visioncraftd.sock`.
///
/// Empty values count as unset. Relative paths are made absolute against the
/// working folder, so a daemon started by a client finds the same file.
package struct SocketLocation: Sendable, Equatable, CustomStringConvertible {
    /// Which rule chose the path.
    package enum Source: String, Sendable, Equatable {
        case flag = "--socket"
        case environment = "VISIONCRAFT_SOCKET"
        case runtimeDirectory = "XDG_RUNTIME_DIR"
        case temporaryDirectory = "default"
    }

    /// The environment variable that overrides the default.
    package static let environmentVariable = "VISIONCRAFT_SOCKET"
    /// The socket's file name in the default folders.
    package static let fileName = "visioncraftd.sock"

    /// The socket's absolute path.
    package let path: String
    package let source: Source

    package init(path: String, source: Source) {
        self.path = path
        self.source = source
    }

    /// Applies the rules.
    ///
    /// - Parameters:
    ///   - flag: the value of `--socket`, if given.
    ///   - environment: looks up an environment variable.
    ///   - userID: the real user id (for the /tmp fallback).
    ///   - workingDirectory: for relative paths.
    package static func resolve(
        flag: String?,
        environment: (String) -> String?,
        userID: UInt32,
        workingDirectory: String
    ) -> SocketLocation {
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : workingDirectory + (workingDirectory.hasSuffix("/") ? "" : "/") + path
        }
        if let flag, !flag.isEmpty {
            return SocketLocation(path: absolute(flag), source: .flag)
        }
        if let variable = environment(environmentVariable), !variable.isEmpty {
            return SocketLocation(path: absolute(variable), source: .environment)
        }
        if let runtime = environment("XDG_RUNTIME_DIR"), runtime.hasPrefix("/") {
            let folder = runtime.hasSuffix("/") ? String(runtime.dropLast()) : runtime
            return SocketLocation(path: "\(folder)/visioncraft/\(fileName)", source: .runtimeDirectory)
        }
        return SocketLocation(path: "/tmp/visioncraft-\(userID)/\(fileName)", source: .temporaryDirectory)
    }

    /// The folder that holds the socket (created 0700 by the daemon).
    package var folder: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The lock file beside the socket: the daemon that holds its lock owns
    /// the path, and writes its process id into it (see `DaemonLockRecord`).
    package var lockPath: String { path + ".lock" }

    package var description: String { "\(path) (from \(source.rawValue))" }
}
