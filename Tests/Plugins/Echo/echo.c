// A test plugin with every hook: the prompt hook appends " (echoed)" and the
// configuration's "suffix", the image hook inverts the pixels in place, the
// file hook fails when the path contains "fail".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

#include "visioncraft_plugin.h"

typedef struct {
    const vc_host *host;
    char suffix[64];
} echo_state;

static char *copy(const vc_host *host, const char *text) {
    size_t length = strlen(text) + 1;
    char *result = host->allocate(length);
    if (result) memcpy(result, text, length);
    return result;
}

static vc_status echo_init(const vc_host *host, const char *config_json, void **state, char **error) {
    echo_state *echo = calloc(1, sizeof(echo_state));
    if (!echo) return VC_OUT_OF_MEMORY;
    echo->host = host;
    const char *found = strstr(config_json, "\"suffix\":\"");
    if (found) sscanf(found + 10, "%63[^\"]", echo->suffix);
    host->log(host, VC_LOG_INFO, "echo started");
    *state = echo;
    (void)error;
    return VC_OK;
}

static void echo_deinit(void *state) { free(state); }

static vc_status echo_prompt(void *state, const char *request_json, char **response_json, char **error) {
    echo_state *echo = state;
    const char *found = strstr(request_json, "\"prompt\":\"");
    if (!found) {
        *error = copy(echo->host, "the request has no prompt");
        return VC_INVALID_INPUT;
    }
    char prompt[512] = {0};
    sscanf(found + 10, "%511[^\"]", prompt);
    char response[1024];
    snprintf(response, sizeof response, "{\"prompt\":\"%s (echoed)%s\"}", prompt, echo->suffix);
    *response_json = copy(echo->host, response);
    return *response_json ? VC_OK : VC_OUT_OF_MEMORY;
}

static vc_status echo_image(void *state, const vc_image *input, const char *params_json, vc_image *output, char **error) {
    (void)state; (void)params_json; (void)error;
    for (uint32_t y = 0; y < input->height; y++) {
        uint8_t *row = input->pixels + y * input->stride;
        for (uint32_t x = 0; x < input->width * 4; x++) {
            if (x % 4 != 3) row[x] = (uint8_t)(255 - row[x]);
        }
    }
    *output = *input;
    return VC_OK;
}

static vc_status echo_file(void *state, const char *path, const char *params_json, char **error) {
    echo_state *echo = state;
    (void)params_json;
    if (strstr(path, "fail")) {
        *error = copy(echo->host, "asked to fail");
        return VC_FAILED;
    }
    return VC_OK;
}

// Built as an ABI 1.0 plugin (its descriptor ends before image_plan): the
// host still loads those, and counts its image hook as making a new image.
static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = offsetof(vc_plugin_descriptor, image_plan),
    .name = "echo-test",
    .version = "1.0.0",
    .description = "Echoes prompts, inverts images (for tests)",
    .hooks = VC_HOOK_PROMPT | VC_HOOK_IMAGE | VC_HOOK_FILE,
    .flags = 0,
    .init = echo_init,
    .deinit = echo_deinit,
    .prompt = echo_prompt,
    .image = echo_image,
    .file = echo_file,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
