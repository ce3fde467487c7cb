import CPosix
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The crash record the plugin journal relies on: a fatal signal writes its
/// number, then the process dies of it, even when the handlers were asked
/// for twice (two daemons in one test process did, and a crash then
/// re-raised into the same handler forever), and even when the handler it
/// passes the signal to returns.
@Suite struct FatalSignalRecordTests {
    @Test func aCrashIsRecordedAndStillKillsEvenAfterASecondInstall() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let record = folder.file("fatal")
        let status = try await Self.statusOfAChild(recordingIn: record) {
            // The default action underneath (the test runner's own crash
            // handler would otherwise come next).
            signal(SIGSEGV, SIG_DFL)
            _ = cposix_record_fatal_signals(record)
            _ = cposix_record_fatal_signals(record)
        }
        #expect(status & 0x7F == SIGSEGV, "terminated by SIGSEGV, not exited (status \(status))")
        #expect(String(decoding: try FileSystem.readFile(record), as: UTF8.self) == "\(SIGSEGV)\n")
    }

    /// The handler underneath returns, as the Swift runtime's backtracer
    /// does after printing its report (a fault would fault again; a signal
    /// sent with kill or raise would not): the process dies all the same.
    @Test func aSignalIsFatalEvenWhenTheHandlerUnderneathReturns() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let record = folder.file("fatal")
        let status = try await Self.statusOfAChild(recordingIn: record) {
            signal(SIGSEGV) { _ in }
            _ = cposix_record_fatal_signals(record)
        }
        #expect(status & 0x7F == SIGSEGV, "terminated by SIGSEGV, not exited (status \(status))")
        #expect(String(decoding: try FileSystem.readFile(record), as: UTF8.self) == "\(SIGSEGV)\n")
    }

    /// Forks a child that runs `setUp` and raises SIGSEGV; its wait status.
    static func statusOfAChild(recordingIn record: String, _ setUp: @escaping @Sendable () -> Void) async throws -> Int32 {
        try await offPool { () -> Int32 in
            let child = fork()
            if child == 0 {
                // The child: async-signal-safe calls only until it dies.
                setUp()
                raise(SIGSEGV)
                _exit(0)  // not reached: the signal's default action ends the process
            }
            guard child > 0 else { throw TestFailure("fork failed") }
            let deadline = MonotonicInstant.now().advanced(by: .seconds(20))
            var status: Int32 = 0
            while waitpid(child, &status, WNOHANG) == 0 {
                guard MonotonicInstant.now().duration(to: deadline) > .zero else {
                    kill(child, SIGKILL)
                    waitpid(child, &status, 0)
                    throw TestFailure("the child did not die of its SIGSEGV")
                }
                pauseBriefly(milliseconds: 5)
            }
            return status
        }
    }
}
