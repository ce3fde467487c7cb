// C shims for the Posix module: the system headers that the Swift Glibc/Darwin
// modules leave out, and small functions for what differs between Linux and
// macOS or needs _GNU_SOURCE. Everything here is plain C types.
#ifndef CPOSIX_H
#define CPOSIX_H

#include <stdint.h>
#include <sys/types.h>
#include <spawn.h>

#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#elif defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/event.h>
#endif

/// Reads the credentials of the peer of a connected Unix socket.
/// Linux: SO_PEERCRED. macOS: getpeereid, and LOCAL_PEERPID for the pid.
/// `pid` is set to -1 where the platform cannot tell. Returns 0 or -1 (errno set).
int cposix_peer_credentials(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

/// Adds POSIX_SPAWN_SETSID to the attributes' flags (the child starts a new
/// session, detached from the terminal). Returns 0 or an errno value.
int cposix_spawnattr_setsid(posix_spawnattr_t *attr);

/// Makes the child close every descriptor >= `lowest` that the file actions do
/// not set up (Linux: posix_spawn_file_actions_addclosefrom_np; macOS:
/// POSIX_SPAWN_CLOEXEC_DEFAULT). Returns 0 or an errno value.
int cposix_spawn_close_from(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attr, int lowest);

/// Decodes a waitpid status: 1 and the code when the child exited, else 0.
int cposix_exit_status(int status, int *code);
/// Decodes a waitpid status: 1 and the signal when the child was killed, else 0.
int cposix_termination_signal(int status, int *signal);

/// Accepts a connection from a listening socket; the new descriptor is
/// close-on-exec (and SO_NOSIGPIPE on macOS). Returns it, or -1 (errno set).
int cposix_accept(int listener);

/// Creates a pipe with both ends close-on-exec. Returns 0 or -1 (errno set).
int cposix_pipe(int fds[2]);

/// Names the calling thread (Linux keeps the first 15 bytes).
void cposix_set_thread_name(const char *name);

/// The capacity of sockaddr_un.sun_path on this platform (108 on Linux, 104 on macOS).
size_t cposix_sun_path_capacity(void);

/// The calling thread's id for log lines (gettid on Linux, pthread_threadid_np on macOS).
uint64_t cposix_thread_id(void);

/// The first listening socket launchd passes for the plist's `Sockets`
/// entry `name` (macOS: launch_activate_socket; the others are closed).
/// Returns it, or -1 with errno: ESRCH when launchd did not start this
/// process, ENOENT when the plist has no such entry, ENOSYS off macOS.
int cposix_launchd_socket(const char *name);

/// From now on, a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
/// SIGTRAP, SIGSYS) first creates the file `path` holding its number (with
/// async-signal-safe calls only), then goes to the handler that was there
/// before (the Swift runtime's backtracer prints its report), then kills the
/// process with its default action: a signal sent with kill(2) ends the
/// process as a fault does, so a service manager sees it die. SIGKILL
/// cannot be caught, so after a restart the file tells a crash from a kill.
/// The handler runs on the thread's alternate signal stack where it has one
/// (`cposix_install_alternate_signal_stack`), so a stack overflow is
/// recorded too. Calling again changes the path and leaves a handler
/// already in place alone (it never becomes its own "previous"). Returns 0,
/// or -1 with errno (ENAMETOOLONG for a path of 1024 bytes or more).
int cposix_record_fatal_signals(const char *path);

/// Gives the calling thread an alternate signal stack (`sigaltstack`), room
/// for the fatal-signal handler and the one it calls, above an inaccessible
/// guard page, so that a handler installed with
/// SA_ONSTACK runs even when the thread overflowed its own stack. Returns
/// the mapping, for `cposix_remove_alternate_signal_stack`, or NULL with
/// errno (EEXIST when the thread has one already: it is left alone).
void *cposix_install_alternate_signal_stack(void);

/// Removes and unmaps the alternate signal stack that
/// `cposix_install_alternate_signal_stack` returned on this thread (before
/// the thread ends); nothing if the thread has another one now or `mapping`
/// is NULL.
void cposix_remove_alternate_signal_stack(void *mapping);

/// Gives the allocator's free pages back to the system: malloc_trim(0) with
/// glibc (whose <malloc.h> the Glibc module leaves out),
/// malloc_zone_pressure_relief on macOS, nothing elsewhere (musl's
/// allocator returns freed memory itself).
void cposix_release_free_memory(void);

/// Fixes glibc's mmap and trim thresholds (mallopt M_MMAP_THRESHOLD and
/// M_TRIM_THRESHOLD), which turns off their growth after large frees, and
/// caps its arenas at `arenas` (M_ARENA_MAX). Nothing elsewhere.
void cposix_fix_malloc_thresholds(size_t mmap_bytes, size_t trim_bytes, int arenas);

/// Makes the process leave no core dump: RLIMIT_CORE 0 (soft and hard),
/// and on Linux PR_SET_DUMPABLE 0, which also keeps the user's other
/// processes from reading its memory through /proc or ptrace. Returns 0, or
/// -1 with errno.
int cposix_forbid_core_dumps(void);

#endif
