#define _GNU_SOURCE 1
#include "cposix.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#if defined(__APPLE__)
#include <sys/ucred.h>
#endif

int cposix_peer_credentials(int fd, uid_t *uid, gid_t *gid, pid_t *pid) {
#if defined(__linux__)
    struct ucred cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    *uid = cred.uid;
    *gid = cred.gid;
    *pid = cred.pid;
    return 0;
#else
    if (getpeereid(fd, uid, gid) != 0) return -1;
    *pid = -1;
#if defined(LOCAL_PEERPID)
    pid_t peer = -1;
    socklen_t length = sizeof(peer);
    if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &peer, &length) == 0) *pid = peer;
#endif
    return 0;
#endif
}

int cposix_spawnattr_setsid(posix_spawnattr_t *attr) {
#if defined(POSIX_SPAWN_SETSID)
    short flags = 0;
    int result = posix_spawnattr_getflags(attr, &flags);
    if (result != 0) return result;
    return posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_SETSID);
#else
    (void)attr;
    return ENOTSUP;
#endif
}

int cposix_spawn_close_from(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attr, int lowest) {
#if defined(__linux__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    (void)attr;
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
#elif defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
    // Every descriptor not named in the file actions is closed; the actions
    // must inherit 0..lowest-1 explicitly (the caller dup2s them).
    (void)actions;
    (void)lowest;
    short flags = 0;
    int result = posix_spawnattr_getflags(attr, &flags);
    if (result != 0) return result;
    return posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_CLOEXEC_DEFAULT);
#else
    (void)actions;
    (void)attr;
    (void)lowest;
    return ENOTSUP;
#endif
}

int cposix_exit_status(int status, int *code) {
    if (WIFEXITED(status)) {
        *code = WEXITSTATUS(status);
        return 1;
    }
    return 0;
}

int cposix_termination_signal(int status, int *signal) {
    if (WIFSIGNALED(status)) {
        *signal = WTERMSIG(status);
        return 1;
    }
    return 0;
}

int cposix_accept(int listener) {
#if defined(__linux__)
    return accept4(listener, NULL, NULL, SOCK_CLOEXEC);
#else
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) return fd;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#if defined(SO_NOSIGPIPE)
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
    return fd;
#endif
}

int cposix_pipe(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

void cposix_set_thread_name(const char *name) {
#if defined(__linux__)
    char truncated[16];
    size_t i = 0;
    for (; i < 15 && name[i] != 0; i++) truncated[i] = name[i];
    truncated[i] = 0;
    pthread_setname_np(pthread_self(), truncated);
#elif defined(__APPLE__)
    pthread_setname_np(name);
#else
    (void)name;
#endif
}

size_t cposix_sun_path_capacity(void) {
    struct sockaddr_un address;
    return sizeof(address.sun_path);
}

uint64_t cposix_thread_id(void) {
#if defined(__linux__)
    return (uint64_t)syscall(SYS_gettid);
#elif defined(__APPLE__)
    uint64_t id = 0;
    pthread_threadid_np(NULL, &id);
    return id;
#else
    return (uint64_t)(uintptr_t)pthread_self();
#endif
}

#if defined(__APPLE__)
#include <launch.h>
#include <stdlib.h>
#endif

int cposix_launchd_socket(const char *name) {
#if defined(__APPLE__)
    int *fds = NULL;
    size_t count = 0;
    int status = launch_activate_socket(name, &fds, &count);
    if (status != 0) {
        errno = status;
        return -1;
    }
    if (count == 0 || fds == NULL) {
        free(fds);
        errno = ENOENT;
        return -1;
    }
    int first = fds[0];
    for (size_t index = 1; index < count; index++) close(fds[index]);
    free(fds);
    return first;
#else
    (void)name;
    errno = ENOSYS;
    return -1;
#endif
}

/* Fatal signals: noted in a file, shown to the handler that was there
   before, then died of. */

#include <signal.h>
#include <string.h>
#include <sys/mman.h>

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
#define FATAL_SIGNAL_COUNT (sizeof fatal_signals / sizeof fatal_signals[0])
static char fatal_signal_path[1024];
static struct sigaction previous_actions[FATAL_SIGNAL_COUNT];

static void record_fatal_signal(int signal_number, siginfo_t *info, void *context) {
    int fd = open(fatal_signal_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        char text[16];
        int length = 0;
        char digits[12];
        int count = 0;
        int value = signal_number;
        do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value > 0 && count < 11);
        while (count > 0) text[length++] = digits[--count];
        text[length++] = '\n';
        ssize_t written = write(fd, text, (size_t)length);
        (void)written;
        close(fd);
    }
    /* The previous handler (the Swift runtime's backtracer, a sanitizer's)
       is called as the kernel would have: it prints what it prints. It
       returns expecting the faulting instruction to fault again under the
       default action; a signal sent with kill(2) or raise(3) would not, and
       the process would go on. So the default action comes next, whatever
       the signal's origin. */
    for (size_t index = 0; index < FATAL_SIGNAL_COUNT; index++) {
        if (fatal_signals[index] != signal_number) continue;
        struct sigaction previous = previous_actions[index];
        if (previous.sa_flags & SA_SIGINFO) {
            if (previous.sa_sigaction != NULL) previous.sa_sigaction(signal_number, info, context);
        } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler != NULL) {
            previous.sa_handler(signal_number);
        }
        break;
    }
    signal(signal_number, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(signal_number);
    /* Not reached: the default action of every signal above ends the process. */
    _exit(128 + signal_number);
}

int cposix_record_fatal_signals(const char *path) {
    size_t length = strlen(path);
    if (length >= sizeof fatal_signal_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(fatal_signal_path, path, length + 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = record_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK | SA_SIGINFO;
    for (size_t index = 0; index < FATAL_SIGNAL_COUNT; index++) {
        /* Where this handler is already in place (a second daemon in a test
           process, a restart in place), keep it and the handler it saved:
           saving it as its own previous would make a crash call into it
           forever. Where someone replaced it since, install it again. */
        struct sigaction current;
        if (sigaction(fatal_signals[index], NULL, &current) != 0) return -1;
        if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == record_fatal_signal) continue;
        if (sigaction(fatal_signals[index], &action, &previous_actions[index]) != 0) return -1;
    }
    return 0;
}

/* Alternate signal stacks: where the fatal-signal handler runs when the
   thread's own stack is used up. */

/* Room for the handler above and the one it calls (the Swift runtime's
   backtracer gives its own stack SIGSTKSZ + 16 KB, the extra for the
   dynamic linker's lookups from a handler), with a margin. */
#define ALTERNATE_STACK_BYTES (64 * 1024)

void *cposix_install_alternate_signal_stack(void) {
    stack_t existing;
    if (sigaltstack(NULL, &existing) != 0) return NULL;
    if (!(existing.ss_flags & SS_DISABLE) && existing.ss_sp != NULL) {
        errno = EEXIST;
        return NULL;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = ALTERNATE_STACK_BYTES;
    if (size < (size_t)SIGSTKSZ + 16384) size = (size_t)SIGSTKSZ + 16384;
    size = (size + page - 1) / page * page;
    /* One more page below, never accessible: a handler that overflows the
       alternate stack faults instead of writing over other memory. */
    char *mapping = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return NULL;
    if (mprotect(mapping, page, PROT_NONE) != 0) {
        int saved = errno;
        munmap(mapping, size + page);
        errno = saved;
        return NULL;
    }
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = mapping + page;
    stack.ss_size = size;
    stack.ss_flags = 0;
    if (sigaltstack(&stack, NULL) != 0) {
        int saved = errno;
        munmap(mapping, size + page);
        errno = saved;
        return NULL;
    }
    return mapping;
}

void cposix_remove_alternate_signal_stack(void *mapping) {
    if (mapping == NULL) return;
    stack_t current;
    if (sigaltstack(NULL, &current) != 0) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (current.ss_sp != (char *)mapping + page) return;  /* someone else's now: leave it */
    size_t size = current.ss_size;
    stack_t disable;
    memset(&disable, 0, sizeof disable);
    disable.ss_flags = SS_DISABLE;
    if (sigaltstack(&disable, NULL) != 0) return;
    munmap(mapping, size + page);
}

#if defined(__GLIBC__)
#include <malloc.h>
#elif defined(__APPLE__)
#include <malloc/malloc.h>
#endif

void cposix_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#elif defined(__APPLE__)
    malloc_zone_pressure_relief(NULL, 0);
#endif
}

void cposix_fix_malloc_thresholds(size_t mmap_bytes, size_t trim_bytes, int arenas) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)mmap_bytes);
    mallopt(M_TRIM_THRESHOLD, (int)trim_bytes);
    mallopt(M_ARENA_MAX, arenas);
#else
    (void)mmap_bytes;
    (void)trim_bytes;
    (void)arenas;
#endif
}

int cposix_forbid_core_dumps(void) {
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) return -1;
#if defined(__linux__)
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return -1;
#endif
    return 0;
}
