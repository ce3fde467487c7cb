/// What a daemon writes into its lock file (`SocketLocation.lockPath`) while
/// it holds the lock: its process id and a newline. A client that finds the
/// lock held but no socket file can then name the daemon. The daemon empties
/// the file when it releases the lock; a daemon that crashed leaves its id.
public enum DaemonLockRecord {
    /// The file's content for the daemon with `pid`.
    public static func text(pid: Int32) -> String {
        "\(pid)\n"
    }

    /// The process id recorded in a lock file's content; nil when there is
    /// none (empty, written by an older daemon, or garbled).
    public static func pid(in bytes: [UInt8]) -> Int32? {
        let line = bytes.prefix { $0 != 0x0A }
        guard !line.isEmpty, line.count <= 10, line.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard let pid = Int32(String(decoding: line, as: UTF8.self)), pid > 0 else { return nil }
        return pid
    }
}
