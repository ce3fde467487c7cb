import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Whether this process may leave a core dump. A dump holds everything in
/// memory, secrets included, and lands where the process works or wherever
/// the system's core pattern says.
public enum CoreDumps {
    /// Turns core dumps off for good: RLIMIT_CORE 0, soft and hard (no
    /// later call can raise it), and on Linux `PR_SET_DUMPABLE` 0, which
    /// also keeps the user's other processes from reading this one's memory
    /// (`/proc/PID/mem`, ptrace). macOS has no dumpable flag; the limit is
    /// what stops a core there.
    public static func forbid() throws(SystemError) {
        guard cposix_forbid_core_dumps() == 0 else { throw SystemError.last("setrlimit(RLIMIT_CORE)/prctl(PR_SET_DUMPABLE)") }
    }
}
