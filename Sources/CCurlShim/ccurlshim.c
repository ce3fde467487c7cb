#if defined(__linux__)
#define _GNU_SOURCE  // dirfd, SOCK_CLOEXEC
#endif
#include "ccurlshim.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode ccurl_getinfo_pointer(CURL *handle, CURLINFO info, void **value) { return curl_easy_getinfo(handle, info, value); }
CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) { return curl_multi_setopt(multi, option, value); }

CURLcode ccurl_allow_only_http(CURL *handle) {
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode result = curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    if (result != CURLE_OK) return result;
    return curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    CURLcode result = curl_easy_setopt(handle, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    if (result != CURLE_OK) return result;
    return curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static curl_socket_t open_close_on_exec(void *context, curlsocktype purpose, struct curl_sockaddr *address) {
    (void)context;
    (void)purpose;
#if defined(SOCK_CLOEXEC)
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
#else
    curl_socket_t fd = socket(address->family, address->socktype, address->protocol);
    if (fd != CURL_SOCKET_BAD) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#endif
}

CURLcode ccurl_open_sockets_close_on_exec(CURL *handle) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, open_close_on_exec);
}

/// The process's open descriptors, malloc'd (NULL and 0 when they cannot be listed).
static int *open_descriptors(size_t *count) {
    *count = 0;
#if defined(__linux__)
    DIR *folder = opendir("/proc/self/fd");
#else
    DIR *folder = opendir("/dev/fd");
#endif
    if (!folder) return NULL;
    size_t capacity = 64;
    int *fds = malloc(capacity * sizeof(int));
    struct dirent *entry;
    while (fds && (entry = readdir(folder))) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        int fd = atoi(entry->d_name);
        if (fd == dirfd(folder)) continue;
        if (*count == capacity) {
            int *grown = realloc(fds, 2 * capacity * sizeof(int));
            if (!grown) {
                free(fds);
                fds = NULL;
                break;
            }
            fds = grown;
            capacity *= 2;
        }
        fds[(*count)++] = fd;
    }
    closedir(folder);
    if (!fds) *count = 0;
    return fds;
}

CURLM *ccurl_multi_init_close_on_exec(void) {
    size_t before_count, after_count;
    int *before = open_descriptors(&before_count);
    CURLM *multi = curl_multi_init();
    int *after = open_descriptors(&after_count);
    for (size_t i = 0; multi && i < after_count; i++) {
        int known = 0;
        for (size_t j = 0; j < before_count && !known; j++) known = before[j] == after[i];
        if (known) continue;
        int flags = fcntl(after[i], F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(after[i], F_SETFD, flags | FD_CLOEXEC);
    }
    free(before);
    free(after);
    return multi;
}

static int grow(uint8_t **data, size_t *capacity, size_t needed) {
    if (needed <= *capacity) return 1;
    size_t next = *capacity ? *capacity : 4096;
    while (next < needed) next *= 2;
    uint8_t *grown = realloc(*data, next);
    if (!grown) return 0;
    *data = grown;
    *capacity = next;
    return 1;
}

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    ccurl_sink *sink = context;
    size_t length = size * count;
    if (sink->body_length + length > sink->body_limit) {
        sink->over_limit = 1;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    if (!grow(&sink->body, &sink->body_capacity, sink->body_length + length)) return 0;
    memcpy(sink->body + sink->body_length, data, length);
    sink->body_length += length;
    return length;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    ccurl_sink *sink = context;
    size_t length = size * count;
    if (sink->headers_length + length > 256 * 1024) return 0;
    uint8_t *headers = (uint8_t *)sink->headers;
    if (!grow(&headers, &sink->headers_capacity, sink->headers_length + length + 1)) return 0;
    sink->headers = (char *)headers;
    memcpy(sink->headers + sink->headers_length, data, length);
    sink->headers_length += length;
    sink->headers[sink->headers_length] = 0;
    return length;
}

void ccurl_collect_into(CURL *handle, ccurl_sink *sink) {
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, sink);
}

void ccurl_sink_free(ccurl_sink *sink) {
    free(sink->body);
    free(sink->headers);
    memset(sink, 0, sizeof(*sink));
}
