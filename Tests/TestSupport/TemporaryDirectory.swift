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

/// Pauses the calling thread briefly, for bounded polling of something that
/// offers no event (a log file). Never use it to wait for a fixed time.
public func pauseBriefly(milliseconds: Int = 5) {
    var interval = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
    nanosleep(&interval, nil)
}
