// visioncraft-loadgen: the one client of the JSON-RPC benchmark.
//
// A closed loop: N connections, each on its own thread, each sends one
// request, waits for the whole reply, records the round trip, and repeats.
// The same program drives every server, so the ratios compare servers.
//
//   visioncraft-loadgen --unix PATH --ndjson LINE        [options]
//   visioncraft-loadgen --tcp HOST:PORT --http PATH BODY [options]
//   visioncraft-loadgen --tcp HOST:PORT --get PATH       [options]
//
//   --connections N   default 1
//   --duration S      measuring time, default 3
//   --warmup S        discarded time before measuring, default 0.5
//
// NDJSON: writes LINE and a newline, reads up to a newline. HTTP: keep-alive
// HTTP/1.1 POSTs (Content-Type: application/json) or GETs, reads the head and
// a Content-Length body (a body larger than the buffer is read and dropped). Prints one line of JSON on stdout:
//   {"connections":8,"duration_s":3.000,"requests":123456,"errors":0,
//    "rps":41150.2,"p50_us":180.5,"p90_us":...,"p99_us":...,"max_us":...,"mean_us":...}
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

enum mode { MODE_NDJSON, MODE_HTTP };

static enum mode mode;
static const char *unix_path;
static char tcp_host[256];
static int tcp_port;
static char *request;
static size_t request_length;
static int connection_count = 1;
static double duration_seconds = 3;
static double warmup_seconds = 0.5;

/// 0: warming up, 1: measuring, 2: stop.
static atomic_int phase;
static pthread_barrier_t start_barrier;

struct worker {
    pthread_t thread;
    int fd;
    uint32_t *latencies;  // microseconds * 10, measured phase only
    size_t count;
    size_t capacity;
    long errors;
    char buffer[65536];
    size_t buffered;
};

static void usage(void) {
    fprintf(stderr,
            "usage: visioncraft-loadgen --unix PATH --ndjson LINE [--connections N] [--duration S] [--warmup S]\n"
            "       visioncraft-loadgen --tcp HOST:PORT --http PATH BODY [--connections N] [--duration S] [--warmup S]\n"
            "       visioncraft-loadgen --tcp HOST:PORT --get PATH [--connections N] [--duration S] [--warmup S]\n");
    exit(2);
}

static double now_seconds(void) {
    struct timespec spec;
    clock_gettime(CLOCK_MONOTONIC, &spec);
    return (double)spec.tv_sec + (double)spec.tv_nsec / 1e9;
}

static int connect_to_server(void) {
    int fd;
    if (mode == MODE_NDJSON) {
        struct sockaddr_un address;
        memset(&address, 0, sizeof(address));
        address.sun_family = AF_UNIX;
        if (strlen(unix_path) >= sizeof(address.sun_path)) {
            fprintf(stderr, "visioncraft-loadgen: socket path too long: %s\n", unix_path);
            exit(2);
        }
        strcpy(address.sun_path, unix_path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) return -1;
    } else {
        struct sockaddr_in address;
        memset(&address, 0, sizeof(address));
        address.sin_family = AF_INET;
        address.sin_port = htons((uint16_t)tcp_port);
        if (inet_pton(AF_INET, tcp_host, &address.sin_addr) != 1) {
            fprintf(stderr, "visioncraft-loadgen: not a numeric IPv4 address: %s\n", tcp_host);
            exit(2);
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) return -1;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

static int send_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t sent = send(fd, bytes, length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += sent;
        length -= (size_t)sent;
    }
    return 0;
}

/// Reads more into the worker's buffer; -1 on error or end of file.
static int fill(struct worker *worker) {
    if (worker->buffered == sizeof(worker->buffer)) return -1;
    for (;;) {
        ssize_t count = read(worker->fd, worker->buffer + worker->buffered, sizeof(worker->buffer) - worker->buffered);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return -1;
        worker->buffered += (size_t)count;
        return 0;
    }
}

static void consume(struct worker *worker, size_t length) {
    memmove(worker->buffer, worker->buffer + length, worker->buffered - length);
    worker->buffered -= length;
}

/// Reads one NDJSON reply. Returns 0, or -1 on a broken connection, 1 on a bad reply.
static int read_line_reply(struct worker *worker) {
    for (;;) {
        char *newline = memchr(worker->buffer, '\n', worker->buffered);
        if (newline) {
            size_t length = (size_t)(newline - worker->buffer) + 1;
            int bad = length < 2 || (worker->buffer[0] != '{' && worker->buffer[0] != '[');
            consume(worker, length);
            return bad;
        }
        if (fill(worker) != 0) return -1;
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body.
static int read_http_reply(struct worker *worker) {
    char *end;
    for (;;) {
        end = memmem(worker->buffer, worker->buffered, "\r\n\r\n", 4);
        if (end) break;
        if (fill(worker) != 0) return -1;
    }
    size_t head_length = (size_t)(end - worker->buffer) + 4;
    long content_length = -1;
    int status = 0;
    int bad = 0;
    char *line = worker->buffer;
    char *head_end = worker->buffer + head_length;
    if (sscanf(line, "HTTP/1.%*d %d", &status) != 1 || status < 200 || status > 299) bad = 1;
    while (line < head_end) {
        char *next = memmem(line, (size_t)(head_end - line), "\r\n", 2);
        if (!next) break;
        if (strncasecmp(line, "Content-Length:", 15) == 0) content_length = strtol(line + 15, NULL, 10);
        if (strncasecmp(line, "Connection: close", 17) == 0) bad = 1;
        if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            fprintf(stderr, "visioncraft-loadgen: chunked responses are not supported\n");
            exit(1);
        }
        line = next + 2;
    }
    if (content_length < 0) {
        fprintf(stderr, "visioncraft-loadgen: a response without Content-Length\n");
        exit(1);
    }
    size_t total = head_length + (size_t)content_length;
    // A closed loop: nothing follows this response, so a large body can be
    // read through the buffer and dropped.
    while (total > worker->buffered) {
        total -= worker->buffered;
        worker->buffered = 0;
        if (fill(worker) != 0) return -1;
    }
    consume(worker, total);
    return bad;
}

static void record(struct worker *worker, double seconds) {
    if (worker->count == worker->capacity) {
        worker->capacity = worker->capacity ? worker->capacity * 2 : 1 << 16;
        worker->latencies = realloc(worker->latencies, worker->capacity * sizeof(uint32_t));
        if (!worker->latencies) {
            fprintf(stderr, "visioncraft-loadgen: out of memory\n");
            exit(1);
        }
    }
    double tenths = seconds * 1e7;
    worker->latencies[worker->count++] = tenths > 4e9 ? 4000000000u : (uint32_t)tenths;
}

static void *run_worker(void *argument) {
    struct worker *worker = argument;
    pthread_barrier_wait(&start_barrier);
    for (;;) {
        int current = atomic_load_explicit(&phase, memory_order_relaxed);
        if (current == 2) break;
        double started = now_seconds();
        if (send_all(worker->fd, request, request_length) != 0) {
            worker->errors++;
            break;
        }
        int outcome = mode == MODE_NDJSON ? read_line_reply(worker) : read_http_reply(worker);
        if (outcome < 0) {
            worker->errors++;
            break;
        }
        double finished = now_seconds();
        if (outcome > 0) worker->errors++;  // a bad reply is an error in any phase
        if (atomic_load_explicit(&phase, memory_order_relaxed) == 1 && current == 1) record(worker, finished - started);
    }
    return NULL;
}

static int compare(const void *a, const void *b) {
    uint32_t left = *(const uint32_t *)a, right = *(const uint32_t *)b;
    return (left > right) - (left < right);
}

static double percentile(const uint32_t *sorted, size_t count, double fraction) {
    if (count == 0) return 0;
    size_t index = (size_t)(fraction * (double)(count - 1) + 0.5);
    return sorted[index] / 10.0;
}

static double parse_seconds(const char *text) {
    char *end;
    double value = strtod(text, &end);
    if (*end != 0 || value < 0) usage();
    return value;
}

int main(int argc, char **argv) {
    const char *http_path = NULL;
    const char *get_path = NULL;
    const char *body = NULL;
    const char *line = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc) {
            unix_path = argv[++i];
        } else if (strcmp(argv[i], "--tcp") == 0 && i + 1 < argc) {
            const char *target = argv[++i];
            const char *colon = strrchr(target, ':');
            if (!colon || (size_t)(colon - target) >= sizeof(tcp_host)) usage();
            memcpy(tcp_host, target, (size_t)(colon - target));
            tcp_port = atoi(colon + 1);
            if (tcp_port <= 0 || tcp_port > 65535) usage();
        } else if (strcmp(argv[i], "--ndjson") == 0 && i + 1 < argc) {
            line = argv[++i];
        } else if (strcmp(argv[i], "--http") == 0 && i + 2 < argc) {
            http_path = argv[++i];
            body = argv[++i];
        } else if (strcmp(argv[i], "--get") == 0 && i + 1 < argc) {
            get_path = argv[++i];
        } else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc) {
            connection_count = atoi(argv[++i]);
            if (connection_count < 1 || connection_count > 100000) usage();
        } else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
            duration_seconds = parse_seconds(argv[++i]);
        } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
            warmup_seconds = parse_seconds(argv[++i]);
        } else {
            usage();
        }
    }
    if (unix_path && line && !tcp_port && !http_path && !get_path) {
        mode = MODE_NDJSON;
        request_length = strlen(line) + 1;
        request = malloc(request_length);
        memcpy(request, line, request_length - 1);
        request[request_length - 1] = '\n';
    } else if (tcp_port && get_path && !http_path && !unix_path && !line) {
        mode = MODE_HTTP;
        size_t capacity = strlen(get_path) + strlen(tcp_host) + 64;
        request = malloc(capacity);
        int written = snprintf(request, capacity, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", get_path, tcp_host, tcp_port);
        request_length = (size_t)written;
    } else if (tcp_port && http_path && body && !unix_path && !line && !get_path) {
        mode = MODE_HTTP;
        size_t capacity = strlen(http_path) + strlen(body) + strlen(tcp_host) + 256;
        request = malloc(capacity);
        int written = snprintf(request, capacity,
                               "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                               "Content-Length: %zu\r\n\r\n%s",
                               http_path, tcp_host, tcp_port, strlen(body), body);
        request_length = (size_t)written;
    } else {
        usage();
    }

    signal(SIGPIPE, SIG_IGN);
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < (rlim_t)connection_count + 64) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }

    struct worker *workers = calloc((size_t)connection_count, sizeof(struct worker));
    for (int i = 0; i < connection_count; i++) {
        workers[i].fd = connect_to_server();
        if (workers[i].fd < 0) {
            fprintf(stderr, "visioncraft-loadgen: cannot connect (connection %d): %s\n", i + 1, strerror(errno));
            return 1;
        }
    }
    pthread_barrier_init(&start_barrier, NULL, (unsigned)connection_count + 1);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    for (int i = 0; i < connection_count; i++) {
        if (pthread_create(&workers[i].thread, &attributes, run_worker, &workers[i]) != 0) {
            fprintf(stderr, "visioncraft-loadgen: cannot start thread %d\n", i + 1);
            return 1;
        }
    }
    pthread_barrier_wait(&start_barrier);
    struct timespec pause = {(time_t)warmup_seconds, (long)((warmup_seconds - (double)(time_t)warmup_seconds) * 1e9)};
    nanosleep(&pause, NULL);
    double measure_start = now_seconds();
    atomic_store(&phase, 1);
    pause.tv_sec = (time_t)duration_seconds;
    pause.tv_nsec = (long)((duration_seconds - (double)(time_t)duration_seconds) * 1e9);
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {}
    atomic_store(&phase, 2);
    double measured = now_seconds() - measure_start;
    for (int i = 0; i < connection_count; i++) pthread_join(workers[i].thread, NULL);

    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < connection_count; i++) {
        total += workers[i].count;
        errors += workers[i].errors;
    }
    uint32_t *all = malloc((total ? total : 1) * sizeof(uint32_t));
    size_t offset = 0;
    double sum = 0;
    for (int i = 0; i < connection_count; i++) {
        memcpy(all + offset, workers[i].latencies, workers[i].count * sizeof(uint32_t));
        offset += workers[i].count;
        for (size_t j = 0; j < workers[i].count; j++) sum += workers[i].latencies[j] / 10.0;
    }
    qsort(all, total, sizeof(uint32_t), compare);
    printf("{\"connections\":%d,\"duration_s\":%.4f,\"requests\":%zu,\"errors\":%ld,\"rps\":%.1f,"
           "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f}\n",
           connection_count, measured, total, errors, (double)total / measured, percentile(all, total, 0.50),
           percentile(all, total, 0.90), percentile(all, total, 0.99), total ? all[total - 1] / 10.0 : 0.0,
           total ? sum / (double)total : 0.0);
    return errors > 0 ? 1 : 0;
}
