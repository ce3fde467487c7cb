#define _GNU_SOURCE 1
#include "cposix.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
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

/* Fatal signals: noted in a file, then passed on. */

#include <signal.h>
#include <string.h>

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
#define FATAL_SIGNAL_COUNT (sizeof fatal_signals / sizeof fatal_signals[0])
static char fatal_signal_path[1024];
static struct sigaction previous_actions[FATAL_SIGNAL_COUNT];

static void record_fatal_signal(int signal_number) {
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
    /* The previous handler (or the default action) gets the signal when this
       one returns: it is blocked while we run, so raise() leaves it pending. */
    for (size_t index = 0; index < FATAL_SIGNAL_COUNT; index++) {
        if (fatal_signals[index] == signal_number) {
            sigaction(signal_number, &previous_actions[index], NULL);
            break;
        }
    }
    raise(signal_number);
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
    action.sa_handler = record_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    for (size_t index = 0; index < FATAL_SIGNAL_COUNT; index++) {
        /* Where this handler is already in place (a second daemon in a test
           process, a restart in place), keep it and the handler it saved:
           saving it as its own previous would make a crash re-raise into it
           forever. Where someone replaced it since, install it again. */
        struct sigaction current;
        if (sigaction(fatal_signals[index], NULL, &current) != 0) return -1;
        if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == record_fatal_signal) continue;
        if (sigaction(fatal_signals[index], &action, &previous_actions[index]) != 0) return -1;
    }
    return 0;
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

void cposix_fix_malloc_thresholds(size_t mmap_bytes, size_t trim_bytes) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)mmap_bytes);
    mallopt(M_TRIM_THRESHOLD, (int)trim_bytes);
#else
    (void)mmap_bytes;
    (void)trim_bytes;
#endif
}
