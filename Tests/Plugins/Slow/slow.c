#define _POSIX_C_SOURCE 200809L
// A test plugin whose image hook sleeps for the number of milliseconds in
// its parameters ("sleep_ms":N) before returning a 2x1 white image of its own.
// Its plan says so, and "working_bytes":N more; with "lie":1 the plan claims
// a 3x3 result instead (a plugin that breaks its plan).
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "visioncraft_plugin.h"

// Stored atomically: tests load this plugin in parallel, and one load's
// init may run while another load's hook reads the table.
static _Atomic(const vc_host *) saved_host;

static vc_status slow_init(const vc_host *host, const char *config_json, void **state, char **error) {
    (void)config_json; (void)state; (void)error;
    atomic_store_explicit(&saved_host, host, memory_order_release);
    return VC_OK;
}

static vc_status slow_image(void *state, const vc_image *input, const char *params_json, vc_image *output, char **error) {
    (void)state; (void)input; (void)error;
    long milliseconds = 0;
    const char *found = strstr(params_json, "\"sleep_ms\":");
    if (found) sscanf(found + 11, "%ld", &milliseconds);
    struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    uint8_t *pixels = atomic_load_explicit(&saved_host, memory_order_acquire)->allocate(2 * 1 * 4);
    if (!pixels) return VC_OUT_OF_MEMORY;
    memset(pixels, 255, 8);
    output->pixels = pixels;
    output->width = 2;
    output->height = 1;
    output->stride = 8;
    return VC_OK;
}

static vc_status slow_plan(void *state, uint32_t width, uint32_t height, const char *params_json, vc_image_plan *plan, char **error) {
    (void)state; (void)width; (void)height; (void)error;
    long long working = 0;
    const char *found = strstr(params_json, "\"working_bytes\":");
    if (found) sscanf(found + 16, "%lld", &working);
    int lie = strstr(params_json, "\"lie\":1") != NULL;
    plan->width = lie ? 3 : 2;
    plan->height = lie ? 3 : 1;
    plan->in_place = 0;
    plan->working_bytes = (uint64_t)working;
    return VC_OK;
}

static const vc_plugin_option options[] = {
    {.name = "sleep_ms", .type = VC_OPTION_INTEGER, .minimum = 0, .maximum = 3600000, .description = "how long the image hook sleeps"},
    {.name = "working_bytes", .type = VC_OPTION_INTEGER, .minimum = 0, .maximum = 1e15, .description = "the working memory its plan claims"},
    {.name = "lie", .type = VC_OPTION_INTEGER, .minimum = 0, .maximum = 1, .description = "1: the plan claims a 3x3 result"},
    {.name = NULL},
};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "slow-test",
    .version = "0.1.0",
    .description = "Sleeps in its image hook (for tests)",
    .hooks = VC_HOOK_IMAGE,
    .flags = VC_PLUGIN_SERIALIZED,
    .init = slow_init,
    .image = slow_image,
    .image_plan = slow_plan,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
