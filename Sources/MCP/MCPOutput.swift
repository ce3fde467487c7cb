import JSON
import Posix

/// Where the server's messages go: one JSON message per line, written whole
/// by one thread at a time (calls answer from threads of their own).
public final class MCPOutput: Sendable {
    private let descriptor: FileDescriptor
    private let lock = Lock(())

    public init(_ descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    /// Writes `message` and a newline. A client that went away loses it: the
    /// server ends when its input closes.
    public func send(_ message: JSON) {
        var line = JSONSerializer.serialize(message)
        line.append(0x0A)
        lock.withLock { _ in try? descriptor.writeAll(line) }
    }
}
