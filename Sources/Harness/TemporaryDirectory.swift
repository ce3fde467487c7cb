import Posix

/// A private folder under /tmp (mode 0700), removed with everything in it by
/// `remove()`: a sandbox's home, a test's or a benchmark's scratch space.
/// Short paths on purpose: socket paths must fit in sun_path.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "vct-") throws {
        path = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/\(prefix)")
    }

    /// A path inside the folder.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Removes the folder and its content, in this process: no `rm -rf` to
    /// spawn and wait for, so a test's `defer` can call it from an async
    /// function without holding a thread of the cooperative pool for long.
    public func remove() { Self.removeTree(path) }

    /// Removes `path` and everything under it, never following a symbolic
    /// link; folders a test made unwritable are opened up first. What cannot
    /// be removed is left behind, as `rm -rf` would.
    public static func removeTree(_ path: String) {
        guard let status = try? FileSystem.linkStatus(path) else { return }
        guard status.kind == .directory else {
            _ = try? FileSystem.removeFile(path)
            return
        }
        if status.permissions & 0o700 != 0o700 { try? FileSystem.setPermissions(path, 0o700) }
        for name in ((try? FileSystem.contentsOfDirectory(path)) ?? nil) ?? [] {
            removeTree(path + "/" + name)
        }
        _ = try? FileSystem.removeDirectory(path)
    }
}
