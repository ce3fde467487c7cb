/// Why `FileSystem.readRegularFile` read nothing.
public enum FileReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path names a FIFO, device, folder or socket.
    case notRegularFile(path: String, kind: FileStatus.Kind)
    /// The file holds more than the caller takes.
    case tooLarge(path: String, maximumBytes: Int)
    /// A system call failed (`open` names the path).
    case system(SystemError)

    public var description: String {
        switch self {
        case .notRegularFile(let path, let kind): "\(path) is \(kind), not a regular file"
        case .tooLarge(let path, let maximumBytes): "\(path) is larger than \(maximumBytes) bytes"
        case .system(let error): error.description
        }
    }
}
