import Posix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private folder under /tmp (mode 0700), removed with everything in it by
/// `remove()`. Short paths on purpose: socket paths must fit in sun_path.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "vct-") throws {
        path = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/\(prefix)")
    }

    /// A path inside the folder.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Removes the folder and its content.
    public func remove() {
        let child = try? ChildProcess.spawn(.init(executable: "/bin/rm", arguments: ["-rf", path]))
        _ = try? child?.wait()
    }
}
