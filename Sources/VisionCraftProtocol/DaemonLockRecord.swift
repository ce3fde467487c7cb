/// What a daemon writes into its lock files while it holds them: its process
/// id and a newline (`SocketLocation.lockPath`), then the socket it serves
/// (the state folder's lock). A client that finds the lock held but no socket
/// file, or a second daemon on the same state folder, can then name the
/// daemon. The daemon empties the file when it releases the lock; a daemon
/// that crashed leaves its record.
package enum DaemonLockRecord {
    /// The file's content for the daemon with `pid`.
    package static func text(pid: Int32) -> String {
        "\(pid)\n"
    }

    /// The file's content for the daemon with `pid` serving `socket`.
    package static func text(pid: Int32, socket: String) -> String {
        "\(pid)\n\(socket)\n"
    }

    /// The socket recorded on the second line, if any.
    package static func socket(in bytes: [UInt8]) -> String? {
        let lines = bytes.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[1].first == UInt8(ascii: "/") else { return nil }
        return String(decoding: lines[1], as: UTF8.self)
    }

    /// The process id recorded in a lock file's content; nil when there is
    /// none (empty, written by an older daemon, or garbled).
    package static func pid(in bytes: [UInt8]) -> Int32? {
        let line = bytes.prefix { $0 != 0x0A }
        guard !line.isEmpty, line.count <= 10, line.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard let pid = Int32(String(decoding: line, as: UTF8.self)), pid > 0 else { return nil }
        return pid
    }
}
