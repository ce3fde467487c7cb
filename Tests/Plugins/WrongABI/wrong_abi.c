// A test plugin built for a future ABI: the host must refuse it by its
// version before reading anything else.
#include "visioncraft_plugin.h"

static vc_status noop(void *state, const char *path, const char *params_json, char **error) {
    (void)state; (void)path; (void)params_json; (void)error;
    return VC_OK;
}

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR + 1,
    .abi_minor = 0,
    .size = sizeof(vc_plugin_descriptor),
    .name = "wrong-abi",
    .version = "9.9.9",
    .hooks = VC_HOOK_FILE,
    .file = noop,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
