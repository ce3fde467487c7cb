// exec: a visioncraft file plugin that runs a command for every saved image.
//
// Options: {"command": "...", "timeout": 30}. The command runs with /bin/sh -c
// in its own process group, with the image's path in VISIONCRAFT_IMAGE, the
// job's parameters (JSON) in VISIONCRAFT_PARAMETERS and the job's id in
// VISIONCRAFT_JOB_ID; standard input is /dev/null. A command that exits
// non-zero fails the step with its status and the end of its standard error;
// one that runs past its timeout (seconds, default 30) is killed with its
// process group. The command gets descriptors 0 to 2 only: whatever else the
// daemon has open (its upstream connections, sockets, the database, this
// plugin's own pipe) is closed in the child before the exec.
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE  // POSIX_SPAWN_CLOEXEC_DEFAULT, posix_spawn_file_actions_addinherit_np
#else
#define _GNU_SOURCE  // pipe2, posix_spawn_file_actions_addclosefrom_np
#endif
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "visioncraft_plugin.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define EXEC_SPAWN_CLOSES_FROM 1  // posix_spawn_file_actions_addclosefrom_np
#elif defined(__APPLE__)
#define EXEC_SPAWN_CLOSES_FROM 1  // POSIX_SPAWN_CLOEXEC_DEFAULT
#else
#define EXEC_SPAWN_CLOSES_FROM 0  // fork, close everything from 3, exec
#endif

extern char **environ;

// The host's callbacks: the same table for every load, but two loads may
// initialise at once (tests, a reload), so it is stored and read atomically.
static _Atomic(const vc_host *) host;

static vc_status fail(char **error, vc_status status, const char *message) {
    size_t length = strlen(message) + 1;
    *error = atomic_load_explicit(&host, memory_order_acquire)->allocate(length);
    if (*error) memcpy(*error, message, length);
    return status;
}

/// The JSON string value of `key` in the "options" object (escapes decoded),
/// malloc'd; NULL if absent or not a string.
static char *string_option(const char *json, const char *key) {
    const char *options = strstr(json, "\"options\":");
    if (!options) return NULL;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *found = strstr(options, pattern);
    if (!found) return NULL;
    found += strlen(pattern);
    while (*found == ' ') found++;
    if (*found != '"') return NULL;
    found++;
    char *result = malloc(strlen(found) + 1);
    if (!result) return NULL;
    size_t n = 0;
    for (const char *p = found; *p; p++) {
        if (*p == '"') {
            result[n] = 0;
            return result;
        }
        if (*p == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'n': result[n++] = '\n'; break;
            case 't': result[n++] = '\t'; break;
            case 'r': result[n++] = '\r'; break;
            case 'u':
                // \u00XX only (ASCII); anything else is kept as '?'.
                if (strlen(p) >= 5 && p[1] == '0' && p[2] == '0') {
                    char hex[3] = {p[3], p[4], 0};
                    result[n++] = (char)strtol(hex, NULL, 16);
                } else {
                    result[n++] = '?';
                }
                p += 4;
                break;
            default: result[n++] = *p;
            }
        } else {
            result[n++] = *p;
        }
    }
    free(result);
    return NULL;
}

static long number_option(const char *json, const char *key, long fallback) {
    const char *options = strstr(json, "\"options\":");
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *found = options ? strstr(options, pattern) : NULL;
    if (!found) return fallback;
    char *end;
    long value = strtol(found + strlen(pattern), &end, 10);
    return end == found + strlen(pattern) ? fallback : value;
}

static double now(void) {
    struct timespec spec;
    clock_gettime(CLOCK_MONOTONIC, &spec);
    return spec.tv_sec + spec.tv_nsec / 1e9;
}

/// A pipe whose two ends are close-on-exec: a command run for another image
/// at the same time must not inherit this one's write end (its reader would
/// then wait for that command too).
static int cloexec_pipe(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

#if !EXEC_SPAWN_CLOSES_FROM
/// Closes every descriptor from `lowest` up (in a forked child: only
/// async-signal-safe calls).
static void close_from(int lowest) {
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
    long highest = sysconf(_SC_OPEN_MAX);
    if (highest < 0 || highest > 1 << 20) highest = 1 << 20;
    for (int fd = lowest; fd < highest; fd++) close(fd);
}

/// posix_spawn without a way to close the rest: fork, set up 0 to 2, close
/// everything else, exec. Returns 0 or an errno value, as posix_spawn does.
static int spawn_closing_the_rest(pid_t *child, int error_fd, char **argv, char **env) {
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        setpgid(0, 0);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(error_fd, 2) < 0) _exit(127);
        close_from(3);
        execve("/bin/sh", argv, env);
        _exit(127);
    }
    *child = pid;
    return 0;
}
#endif

static vc_status exec_init(const vc_host *given, const char *config_json, void **state, char **error) {
    (void)config_json; (void)state; (void)error;
    atomic_store_explicit(&host, given, memory_order_release);
    return VC_OK;
}

static vc_status exec_file(void *state, const char *path, const char *params_json, char **error) {
    (void)state;
    char *command = string_option(params_json, "command");
    if (!command || !*command) {
        free(command);
        return fail(error, VC_INVALID_INPUT, "give the command to run: exec:{\"command\":\"...\"}");
    }
    long timeout = number_option(params_json, "timeout", 30);
    if (timeout < 1 || timeout > 3600) {
        free(command);
        return fail(error, VC_INVALID_INPUT, "timeout must be 1 to 3600 seconds");
    }

    // The environment: ours plus the image's.
    size_t count = 0;
    while (environ[count]) count++;
    char **env = calloc(count + 4, sizeof(char *));
    char *image = malloc(strlen(path) + 32), *params = malloc(strlen(params_json) + 32), *job = malloc(128);
    int pipefd[2] = {-1, -1};
    vc_status status = VC_OK;
    if (!env || !image || !params || !job || cloexec_pipe(pipefd) != 0) {
        status = fail(error, VC_OUT_OF_MEMORY, "cannot prepare the command");
        goto done;
    }
    sprintf(image, "VISIONCRAFT_IMAGE=%s", path);
    sprintf(params, "VISIONCRAFT_PARAMETERS=%s", params_json);
    const char *id = strstr(params_json, "\"job_id\":\"");
    snprintf(job, 128, "VISIONCRAFT_JOB_ID=%.26s", id ? id + 10 : "");
    size_t e = 0;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(environ[i], "VISIONCRAFT_", 12) != 0) env[e++] = environ[i];
    }
    env[e++] = image;
    env[e++] = params;
    env[e++] = job;
    env[e] = NULL;

    char *argv[] = {"/bin/sh", "-c", command, NULL};
    pid_t child;
#if EXEC_SPAWN_CLOSES_FROM
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    posix_spawnattr_init(&attributes);
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK;
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attributes, &empty);
#if defined(__APPLE__)
    // Every descriptor the actions do not name is closed; 1 is inherited.
    posix_spawn_file_actions_addinherit_np(&actions, 1);
    flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#else
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    posix_spawnattr_setflags(&attributes, flags);
    posix_spawnattr_setpgroup(&attributes, 0);
    int spawned = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, env);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
#else
    int spawned = spawn_closing_the_rest(&child, pipefd[1], argv, env);
#endif
    close(pipefd[1]);
    pipefd[1] = -1;
    if (spawned != 0) {
        status = fail(error, VC_FAILED, "cannot start /bin/sh");
        goto done;
    }

    // Collect the end of standard error while waiting, up to the timeout.
    char tail[512];
    size_t kept = 0;
    double deadline = now() + timeout;
    int exited = 0, code = 0;
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    while (!exited) {
        struct pollfd waiting = {pipefd[0], POLLIN, 0};
        poll(&waiting, 1, 50);
        char chunk[256];
        ssize_t got;
        while ((got = read(pipefd[0], chunk, sizeof chunk)) > 0) {
            for (ssize_t i = 0; i < got; i++) {
                if (kept == sizeof tail) {
                    memmove(tail, tail + 1, sizeof tail - 1);
                    kept--;
                }
                tail[kept++] = chunk[i];
            }
        }
        int wstatus;
        if (waitpid(child, &wstatus, WNOHANG) == child) {
            exited = 1;
            code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        } else if (now() > deadline) {
            kill(-child, SIGKILL);
            waitpid(child, &wstatus, 0);
            char message[128];
            snprintf(message, sizeof message, "the command ran longer than %ld s and was killed", timeout);
            status = fail(error, VC_FAILED, message);
            goto done;
        }
    }
    if (code != 0) {
        char message[768];
        while (kept > 0 && (tail[kept - 1] == '\n' || tail[kept - 1] == ' ')) kept--;
        snprintf(message, sizeof message, "the command exited with status %d%s%.*s", code, kept ? ": " : "", (int)kept, tail);
        status = fail(error, VC_FAILED, message);
    }

done:
    if (pipefd[0] >= 0) close(pipefd[0]);
    if (pipefd[1] >= 0) close(pipefd[1]);
    free(env);
    free(image);
    free(params);
    free(job);
    free(command);
    return status;
}

static const vc_plugin_option options[] = {
    {.name = "command", .type = VC_OPTION_STRING, .flags = VC_OPTION_REQUIRED, .minimum = 1, .maximum = 65536,
     .description = "run with /bin/sh -c for every saved image"},
    {.name = "timeout", .type = VC_OPTION_INTEGER, .minimum = 1, .maximum = 3600, .description = "seconds before it is killed; default 30"},
    {.name = NULL},
};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "exec",
    .version = "1.0.0",
    .description = "Runs a command for every saved image (command=..., timeout=30)",
    .hooks = VC_HOOK_FILE,
    .flags = 0,
    .init = exec_init,
    .file = exec_file,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
