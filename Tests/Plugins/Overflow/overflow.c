// A test plugin whose prompt hook overflows its thread's stack (unbounded
// recursion), as a parser without a depth limit would on a deeply nested
// input.
#include <limits.h>
#include <stddef.h>

#include "visioncraft_plugin.h"

// Volatile: the compiler can neither see that the recursion never ends nor
// turn it into a loop.
static volatile long deepest = LONG_MAX;

static long descend(volatile char *above, long depth) {
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = above ? above[0] : 0;
    if (depth >= deepest) return frame[0];
    return descend(frame, depth + 1) + frame[sizeof frame - 1];
}

static vc_status overflow_prompt(void *state, const char *request_json, char **response_json, char **error) {
    (void)state; (void)request_json; (void)error;
    *response_json = NULL;
    return descend(NULL, 0) == 0 ? VC_OK : VC_INVALID_INPUT;
}

// It takes no options (ABI 1.2: an empty list).
static const vc_plugin_option options[] = {{.name = NULL}};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "overflow-test",
    .version = "0.1.0",
    .description = "Overflows its stack in its prompt hook (for tests)",
    .hooks = VC_HOOK_PROMPT,
    .prompt = overflow_prompt,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
