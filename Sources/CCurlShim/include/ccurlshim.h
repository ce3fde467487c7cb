// Typed wrappers for libcurl's variadic calls (Swift cannot call variadic C
// functions), and the callbacks that collect a response.
#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// Limits `handle` to http and https, for the URL it is given and for every
/// redirect it follows (CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR
/// from curl 7.85, the bitmask options before them). Returns the first error.
CURLcode ccurl_allow_only_http(CURL *handle);

/// Makes libcurl open the handle's sockets close-on-exec
/// (CURLOPT_OPENSOCKETFUNCTION with SOCK_CLOEXEC, or FD_CLOEXEC where there
/// is no SOCK_CLOEXEC), so that no child process inherits a connection.
CURLcode ccurl_open_sockets_close_on_exec(CURL *handle);

/// curl_multi_init, with the descriptors it opened marked close-on-exec:
/// libcurl 7.x makes its wake-up socketpair without SOCK_CLOEXEC and has no
/// option for it. They are found by listing the process's open descriptors
/// (/proc/self/fd, else /dev/fd) before and after; one that another thread
/// opened meanwhile is marked too, as every descriptor of ours should be.
CURLM *ccurl_multi_init_close_on_exec(void);

/// Where a transfer's response goes: a growable body buffer with a cap, and
/// the header lines. Owned by the caller; free with ccurl_sink_free.
typedef struct {
    uint8_t *body;
    size_t body_length;
    size_t body_capacity;
    size_t body_limit;
    int over_limit;
    char *headers;
    size_t headers_length;
    size_t headers_capacity;
} ccurl_sink;

/// Points the handle's write and header callbacks at `sink`.
void ccurl_collect_into(CURL *handle, ccurl_sink *sink);

void ccurl_sink_free(ccurl_sink *sink);

#endif
