import Posix

/// A server started for a benchmark or a campaign, stopped (SIGTERM, then
/// SIGKILL) at the end.
public final class ServerProcess: @unchecked Sendable {
    public let name: String
    public let child: ChildProcess

    /// Takes charge of `child`, a server called `name` in messages.
    public init(name: String, child: ChildProcess) {
        self.name = name
        self.child = child
    }

    /// Starts `options` and waits until `ready` says so (bounded).
    public static func start(
        name: String,
        _ options: ChildProcess.Options,
        readyWithin timeout: Duration = .seconds(10),
        ready: () throws -> Bool
    ) throws -> ServerProcess {
        let child = try ChildProcess.spawn(options)
        let server = ServerProcess(name: name, child: child)
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while MonotonicInstant.now() < deadline {
            if let ended = try child.poll() { throw HarnessError("\(name) \(ended) before it was ready") }
            if try ready() { return server }
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
        }
        server.stop()
        throw HarnessError("\(name) was not ready within \(timeout.seconds) s")
    }

    /// The server's resident memory in kilobytes.
    public func residentKilobytes() -> Int? {
        ResidentMemory.kilobytes(of: child.pid)
    }

    /// The server's private memory (USS) in kilobytes.
    public func privateKilobytes() -> Int? {
        ResidentMemory.privateKilobytes(of: child.pid)
    }

    /// Stops the server: SIGTERM, and SIGKILL if it lingers.
    public func stop() {
        child.send(.terminate)
        let deadline = MonotonicInstant.now().advanced(by: .seconds(5))
        while MonotonicInstant.now() < deadline {
            if (try? child.poll()) != nil { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
        }
        child.send(.kill)
        _ = try? child.wait()
    }
}

/// Resident memory of a process.
public enum ResidentMemory {
    /// Pages only this process holds (private clean and dirty, the "USS"),
    /// from /proc/PID/smaps_rollup on Linux; nil elsewhere. Shared library
    /// text counts in RSS but costs the machine once for all processes.
    public static func privateKilobytes(of pid: pid_t) -> Int? {
        #if os(Linux)
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/smaps_rollup") else { return nil }
        var total = 0
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("Private_Clean:") || line.hasPrefix("Private_Dirty:") {
            total += Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
        }
        return total
        #else
        return nil
        #endif
    }

    /// The most resident memory the process has had (VmHWM, the "high
    /// water mark") from /proc on Linux; nil elsewhere.
    public static func peakKilobytes(of pid: pid_t) -> Int? {
        #if os(Linux)
        return statusField("VmHWM:", of: pid)
        #else
        return nil
        #endif
    }

    /// RssAnon from /proc on Linux: the resident part of the heap and the
    /// other anonymous mappings, without the libraries' pages; nil elsewhere.
    public static func anonymousKilobytes(of pid: pid_t) -> Int? {
        #if os(Linux)
        return statusField("RssAnon:", of: pid)
        #else
        return nil
        #endif
    }

    /// VmRSS from /proc on Linux; `ps -o rss=` elsewhere.
    public static func kilobytes(of pid: pid_t) -> Int? {
        #if os(Linux)
        return statusField("VmRSS:", of: pid)
        #else
        guard let output = try? FileDescriptor.pipe() else { return nil }
        var options = ChildProcess.Options(executable: "/bin/ps", arguments: ["-o", "rss=", "-p", String(pid)])
        options.standardOutput = .descriptor(output.write)
        guard let child = try? ChildProcess.spawn(options) else { return nil }
        try? output.write.close()
        let text = (try? output.read.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try? output.read.close()
        _ = try? child.wait()
        return Int(text.filter { $0.isNumber })
        #endif
    }

    #if os(Linux)
    /// A "kB" field of /proc/PID/status ("VmRSS:\t    7068 kB": the number
    /// after the label and blanks).
    private static func statusField(_ label: String, of pid: pid_t) -> Int? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/status") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(label) {
            return Int(line.dropFirst(label.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
    #endif
}
