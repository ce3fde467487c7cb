// A test plugin whose init fails with a message.
#include <string.h>

#include "visioncraft_plugin.h"

static vc_status failing_init(const vc_host *host, const char *config_json, void **state, char **error) {
    (void)config_json; (void)state;
    const char *message = "the model file is missing";
    *error = host->allocate(strlen(message) + 1);
    if (*error) memcpy(*error, message, strlen(message) + 1);
    return VC_FAILED;
}

static vc_status noop(void *state, const char *path, const char *params_json, char **error) {
    (void)state; (void)path; (void)params_json; (void)error;
    return VC_OK;
}

// It takes no options (ABI 1.2: an empty list).
static const vc_plugin_option options[] = {{.name = NULL}};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "failing-init",
    .version = "0.1.0",
    .hooks = VC_HOOK_FILE,
    .init = failing_init,
    .file = noop,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
