#include "ccurlshim.h"

#include <stdlib.h>
#include <string.h>

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
