#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// What `stat(2)` tells about a file.
public struct FileStatus: Sendable, Equatable {
    /// The kind of file.
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        case regular, directory, socket, symbolicLink, fifo, characterDevice, blockDevice, other

        /// What a message calls it: "a FIFO (named pipe)".
        public var description: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a directory"
            case .socket: "a socket"
            case .symbolicLink: "a symbolic link"
            case .fifo: "a FIFO (named pipe)"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .other: "a special file"
            }
        }
    }

    public let kind: Kind
    /// Permission bits only (`mode & 0o7777`).
    public let permissions: mode_t
    public let owner: uid_t
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    /// When the content last changed, in nanoseconds since 1970.
    public let modified: Int64

    init(_ buffer: stat) {
        let mode = buffer.st_mode
        switch mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFSOCK: kind = .socket
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .other
        }
        permissions = mode & 0o7777
        owner = buffer.st_uid
        // dev_t is signed on Darwin: keep the bits, never trap.
        device = UInt64(truncatingIfNeeded: buffer.st_dev)
        inode = UInt64(truncatingIfNeeded: buffer.st_ino)
        size = Int64(buffer.st_size)
        #if canImport(Darwin)
        modified = Int64(buffer.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(buffer.st_mtimespec.tv_nsec)
        #else
        modified = Int64(buffer.st_mtim.tv_sec) * 1_000_000_000 + Int64(buffer.st_mtim.tv_nsec)
        #endif
    }

    /// The permissions in octal, as `ls` and `chmod` write them: "0700".
    public var octalPermissions: String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// True when this is the same file as `other` (device and inode).
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}
