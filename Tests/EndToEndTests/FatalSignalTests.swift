import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A daemon sent a fatal signal with kill(2) records it and dies of it, with
/// the Swift runtime's backtracer (which prints its report and returns) and
/// without: a watchdog or service manager sees a dead process, not one that
/// printed "Program crashed" and went on serving.
@Suite struct FatalSignalTests {
    /// The signals, each with the backtracer off and (outside a sanitizer
    /// run, where it is always off: see `SanitizedRun`) on.
    static let cases: [(Int32, Bool)] = [SIGSEGV, SIGABRT].flatMap { signal in
        SanitizedRun.isActive ? [(signal, false)] : [(signal, false), (signal, true)]
    }

    @Test(arguments: cases)
    func aSignalSentToTheDaemonIsRecordedAndKillsIt(signal: Int32, backtracer: Bool) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var extra = SanitizedRun.leavingSIGSEGVAlone
        extra["SWIFT_BACKTRACE"] = backtracer ? "enable=yes,interactive=no" : "enable=no"
        let environment = isolatedEnvironment(in: folder, extra: extra)
        let death = try await offPool { () -> ChildProcess.Termination? in
            let daemon = try DaemonProcess.start(arguments: ["--emulator"], folder: folder, environment: environment)
            defer {
                // One that lived on is killed (the folder is removed by the test).
                if (try? daemon.child.poll()) == nil {
                    daemon.child.send(.kill)
                    _ = try? daemon.child.wait()
                }
            }
            daemon.child.send(Signal(rawValue: signal))
            // The backtracer takes a few seconds to symbolicate.
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
            while MonotonicInstant.now() < deadline {
                if let death = try daemon.child.poll() { return death }
                pauseBriefly(milliseconds: 10)
            }
            return nil
        }
        #expect(death == .signaled(Signal(rawValue: signal)), "the daemon died of the signal it was sent, not: \(String(describing: death))")
        let record = try? FileSystem.readFile(folder.file("state/visioncraft/plugin-calls/fatal-signal"))
        #expect(record.map { String(decoding: $0, as: UTF8.self) } == "\(signal)\n", "the signal was recorded for the next start")
    }
}
