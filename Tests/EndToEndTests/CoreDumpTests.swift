import Posix
import Testing
import TestSupport

#if os(Linux)
import Glibc

/// The daemon leaves no core dump (it would hold the key) and does not work
/// from the folder it was started in, unless `--allow-core-dumps` says so.
/// Each daemon is started from a folder of its own with `ulimit -c
/// unlimited`, as a user's shell might, and then killed with SIGSEGV.
@Suite(.disabled(if: SanitizedRun.isActive, "a sanitizer handles SIGSEGV itself (a report, exit 66) and sets its own core limit"))
struct CoreDumpTests {
    struct Observed {
        /// `/proc/PID/limits`' "Max core file size" soft and hard values.
        var coreLimit: [String]
        /// `/proc/PID/cwd`, nil when it cannot be read (a non-dumpable
        /// process's, for a caller that is not root).
        var workingFolder: String?
        var termination: ChildProcess.Termination
        /// Files named core* in the start folder, the state folder and `/`
        /// that were not there before.
        var cores: [String]
    }

    static func coreFiles(in folders: [String]) -> Set<String> {
        Set(folders.flatMap { folder in
            ((try? FileSystem.contentsOfDirectory(folder)) ?? nil ?? []).filter { $0.hasPrefix("core") }.map { "\(folder)/\($0)" }
        })
    }

    /// Starts visioncraftd from `folder/start` under `ulimit -c unlimited`,
    /// reads what /proc says of it, then kills it with SIGSEGV.
    static func observe(_ extra: [String], in folder: TemporaryDirectory) throws -> Observed {
        let start = folder.file("start")
        let state = folder.file("state/visioncraft")
        try FileSystem.makeDirectories(start, permissions: 0o700)
        let ready = try FileDescriptor.pipe()
        let daemonArguments = ["--emulator", "--socket", folder.file("run/visioncraftd.sock"), "--log-file", folder.file("daemon.log"), "--ready-fd", "3"] + extra
        var options = ChildProcess.Options(
            executable: "/bin/sh",
            arguments: ["-c", #"cd "$1" && ulimit -c unlimited && shift && exec "$@""#, "sh", start, try BuiltProducts.path("visioncraftd")] + daemonArguments,
            environment: isolatedEnvironment(in: folder)
        )
        options.extraDescriptors = [3: ready.write]
        options.standardInput = .null
        options.standardOutput = .null
        options.standardError = .null
        let before = coreFiles(in: [start, state, "/"])
        let child = try ChildProcess.spawn(options)
        try ready.write.close()
        defer { try? ready.read.close() }
        guard try Poll.wait(for: ready.read, events: .readable, timeout: TestTime.scaled(.seconds(60))), try ready.read.readAll() == [0x0A] else {
            child.send(.kill)
            _ = try? child.wait()
            throw TestFailure("visioncraftd did not become ready: \(String(decoding: (try? FileSystem.readFile(folder.file("daemon.log"))) ?? [], as: UTF8.self))")
        }
        let limits = String(decoding: try FileSystem.readFile("/proc/\(child.pid)/limits"), as: UTF8.self)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
        let coreLimit = line.dropFirst("Max core file size".count).split(separator: " ").prefix(2).map(String.init)
        let workingFolder = try? FileSystem.readLink("/proc/\(child.pid)/cwd")
        child.send(Signal(rawValue: SIGSEGV))
        let termination = try child.wait()
        return Observed(coreLimit: coreLimit, workingFolder: workingFolder, termination: termination, cores: Array(coreFiles(in: [start, state, "/"]).subtracting(before)))
    }

    /// Whether the kernel writes cores as plain files in the working folder
    /// (not piped to systemd-coredump or apport).
    static var coresLandInTheWorkingFolder: Bool {
        let pattern = String(decoding: (try? FileSystem.readFile("/proc/sys/kernel/core_pattern")) ?? [], as: UTF8.self)
        return !pattern.hasPrefix("|") && !pattern.contains("/")
    }

    @Test func theDaemonLeavesNoCoreAndWorksFromTheRoot() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let seen = try await offPool { try Self.observe([], in: folder) }
        #expect(seen.coreLimit == ["0", "0"], "RLIMIT_CORE: \(seen.coreLimit)")
        if getuid() == 0 {
            #expect(seen.workingFolder == "/", "works from \(seen.workingFolder ?? "?")")
        } else {
            #expect(seen.workingFolder == nil, "a non-dumpable process's cwd is root's to read; read \(seen.workingFolder ?? "")")
        }
        #expect(seen.termination == .signaled(Signal(rawValue: SIGSEGV)), "\(seen.termination)")
        #expect(seen.cores.isEmpty, "core files: \(seen.cores)")
    }

    @Test func allowCoreDumpsKeepsTheLimitAndWorksFromTheStateFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let seen = try await offPool { try Self.observe(["--allow-core-dumps"], in: folder) }
        #expect(seen.coreLimit == ["unlimited", "unlimited"], "RLIMIT_CORE: \(seen.coreLimit)")
        #expect(seen.workingFolder == folder.file("state/visioncraft"), "works from \(seen.workingFolder ?? "?")")
        #expect(seen.termination == .signaled(Signal(rawValue: SIGSEGV)), "\(seen.termination)")
        if Self.coresLandInTheWorkingFolder {
            #expect(seen.cores.count == 1 && seen.cores.allSatisfy { $0.hasPrefix(folder.file("state/visioncraft/core")) }, "core files: \(seen.cores)")
        }
    }
}
#endif
