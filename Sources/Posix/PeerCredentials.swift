import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Who is on the other end of a connected Unix socket, as the kernel tells it
/// (`SO_PEERCRED` on Linux, `getpeereid` and `LOCAL_PEERPID` on macOS).
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public let uid: uid_t
    public let gid: gid_t
    /// The peer's process id, or nil where the platform cannot tell.
    public let pid: pid_t?

    public init(uid: uid_t, gid: gid_t, pid: pid_t?) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    /// Reads the credentials of `socket`'s peer.
    public static func of(_ socket: FileDescriptor) throws(SystemError) -> PeerCredentials {
        var uid: uid_t = 0
        var gid: gid_t = 0
        var pid: pid_t = -1
        if cposix_peer_credentials(socket.rawValue, &uid, &gid, &pid) != 0 {
            throw SystemError.last("getsockopt(SO_PEERCRED)", socket.description)
        }
        return PeerCredentials(uid: uid, gid: gid, pid: pid >= 0 ? pid : nil)
    }

    /// True when a process with these credentials may talk to a process run
    /// by `owner`: the same user, or root.
    public func isTrusted(by owner: uid_t) -> Bool {
        uid == owner || uid == 0
    }

    public var description: String {
        "uid \(uid), gid \(gid)" + (pid.map { ", pid \($0)" } ?? "")
    }
}
