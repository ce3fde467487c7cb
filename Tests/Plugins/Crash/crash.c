// A test plugin whose image hook crashes the process (abort), as a buggy
// plugin would.
#include <stdlib.h>

#include "visioncraft_plugin.h"

static vc_status crash_image(void *state, const vc_image *input, const char *params_json, vc_image *output, char **error) {
    (void)state; (void)input; (void)params_json; (void)output; (void)error;
    abort();
}

// It takes no options (ABI 1.2: an empty list).
static const vc_plugin_option options[] = {{.name = NULL}};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "crash-test",
    .version = "0.1.0",
    .description = "Aborts in its image hook (for tests)",
    .hooks = VC_HOOK_IMAGE,
    .image = crash_image,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
