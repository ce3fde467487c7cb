// visioncraft-bench-floor: the floor of the JSON-RPC benchmark.
//
// Answers every newline-terminated line on a Unix socket with one fixed reply
// line, with a thread per connection and blocking I/O: the least work a
// server can do per request. visioncraftd's figures are compared with it.
//
//   visioncraft-bench-floor --socket PATH [--reply JSON]
//
// Prints "listening on PATH" once ready. SIGTERM/SIGINT unlink the socket and exit 0.
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static const char *socket_path;
static char reply[4096];
static size_t reply_length;

static void usage(void) {
    fprintf(stderr, "usage: visioncraft-bench-floor --socket PATH [--reply JSON]\n");
    exit(2);
}

static void on_signal(int signal_number) {
    (void)signal_number;
    unlink(socket_path);
    _exit(0);
}

/// Writes all of `length` bytes, retrying partial writes and EINTR.
static int write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = send(fd, bytes, length, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += written;
        length -= (size_t)written;
    }
    return 0;
}

/// Serves one connection: for every complete line read, one reply. The
/// replies to the lines of one read go out in one write.
static void *serve(void *argument) {
    int fd = (int)(intptr_t)argument;
    char input[65536];
    char *output = malloc(reply_length * 1024);
    size_t capacity = reply_length * 1024;
    for (;;) {
        ssize_t count = read(fd, input, sizeof(input));
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        size_t lines = 0;
        for (ssize_t i = 0; i < count; i++) {
            if (input[i] == '\n') lines++;
        }
        size_t needed = lines * reply_length;
        if (needed > capacity) {
            capacity = needed;
            output = realloc(output, capacity);
        }
        for (size_t i = 0; i < lines; i++) memcpy(output + i * reply_length, reply, reply_length);
        if (needed > 0 && write_all(fd, output, needed) != 0) break;
    }
    free(output);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    const char *reply_text = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            socket_path = argv[++i];
        } else if (strcmp(argv[i], "--reply") == 0 && i + 1 < argc) {
            reply_text = argv[++i];
        } else {
            usage();
        }
    }
    if (socket_path == NULL) usage();
    reply_length = strlen(reply_text) + 1;
    if (reply_length > sizeof(reply)) {
        fprintf(stderr, "visioncraft-bench-floor: --reply is longer than %zu bytes\n", sizeof(reply) - 1);
        return 2;
    }
    memcpy(reply, reply_text, reply_length - 1);
    reply[reply_length - 1] = '\n';

    struct sockaddr_un address;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    if (strlen(socket_path) >= sizeof(address.sun_path)) {
        fprintf(stderr, "visioncraft-bench-floor: socket path is longer than %zu bytes: %s\n",
                sizeof(address.sun_path) - 1, socket_path);
        return 2;
    }
    strcpy(address.sun_path, socket_path);

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("visioncraft-bench-floor: socket");
        return 1;
    }
    unlink(socket_path);
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 512) != 0) {
        fprintf(stderr, "visioncraft-bench-floor: cannot listen on %s: %s\n", socket_path, strerror(errno));
        return 1;
    }
    printf("listening on %s\n", socket_path);
    fflush(stdout);

    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("visioncraft-bench-floor: accept");
            return 1;
        }
        pthread_t thread;
        if (pthread_create(&thread, &attributes, serve, (void *)(intptr_t)fd) != 0) close(fd);
    }
}
