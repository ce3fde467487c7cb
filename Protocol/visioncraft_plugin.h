/*
 * visioncraft_plugin.h: the plugin ABI of visioncraftd (the single source of
 * truth; Sources/VisionCraftPluginABI/include links here).
 *
 * A plugin is a shared library that exports one function,
 *
 *     const vc_plugin_descriptor *visioncraft_plugin_entry(void);
 *
 * returning a descriptor that lives as long as the library (plugins are never
 * unloaded). The host reads abi_major and abi_minor before anything else and
 * refuses a plugin whose major differs from its own, or whose minor is newer,
 * naming the file and both versions.
 *
 * Hooks, each optional (say which in `hooks`):
 *   prompt  JSON request in, JSON out: may rewrite the prompt, or expand one
 *           request into several ({"requests": [...]}).
 *   image   RGBA8 pixels in; the same buffer changed, or a new one (another
 *           size) allocated with host->allocate. Since 1.1 an image hook
 *           may say beforehand what it will need (image_plan).
 *   file    the saved image's path and the job's parameters (export, upload,
 *           notify).
 *
 * Options: since 1.2 a descriptor may list the options a step takes
 * (`options`), with their types and ranges; the host then refuses, when a
 * job is submitted, an option it does not list, a value out of its range and
 * a missing required one, naming the plugin and the accepted options. A
 * plugin without the list (1.0, 1.1, or NULL) gets any options unchecked.
 *
 * Memory: every pointer says who owns it.
 *   - Inputs (request_json, params_json, path, input pixels) belong to the
 *     host and are valid only during the call. The image hook may write into
 *     input->pixels.
 *   - Outputs (*response_json, *error, output->pixels when not the input's)
 *     are allocated by the plugin with host->allocate; the host frees them.
 *   - Strings are UTF-8, NUL-terminated.
 *
 * Errors: a hook returns VC_OK, or another status with *error set to a
 * message (host->allocate'd) that the host shows to the user with the
 * plugin's name. A NULL *error is allowed; the host then names the status.
 *
 * Threads: the host may call one plugin's hooks from several threads at once,
 * unless the descriptor sets VC_PLUGIN_SERIALIZED, in which case the host
 * calls it from one thread at a time. init and deinit are never called
 * concurrently with anything. Hooks must not call exit(), change the process's
 * signal handlers or working directory, or keep the input pointers.
 */
#ifndef VISIONCRAFT_PLUGIN_H
#define VISIONCRAFT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This header's version. A plugin records the version it was built with. */
#define VC_PLUGIN_ABI_MAJOR 1
#define VC_PLUGIN_ABI_MINOR 2

/* The exported symbol the host looks up. */
#define VC_PLUGIN_ENTRY_SYMBOL "visioncraft_plugin_entry"

/* How a call ended. */
typedef enum vc_status {
    VC_OK = 0,
    /* The input is wrong (a bad option, a template that does not parse). */
    VC_INVALID_INPUT = 1,
    /* Something failed (a file missing, a command that failed). */
    VC_FAILED = 2,
    /* host->allocate returned NULL. */
    VC_OUT_OF_MEMORY = 3,
    /* The hook cannot handle this input (a format, a size). */
    VC_UNSUPPORTED = 4
} vc_status;

/* Which hooks a plugin implements (bits of vc_plugin_descriptor.hooks). */
enum {
    VC_HOOK_PROMPT = 1u << 0,
    VC_HOOK_IMAGE = 1u << 1,
    VC_HOOK_FILE = 1u << 2
};

/* Descriptor flags. */
enum {
    /* Call this plugin's hooks from one thread at a time. */
    VC_PLUGIN_SERIALIZED = 1u << 0
};

/* Log levels for host->log. */
enum {
    VC_LOG_DEBUG = 0,
    VC_LOG_INFO = 1,
    VC_LOG_WARNING = 2,
    VC_LOG_ERROR = 3
};

/* What the host gives a plugin at init. Valid until the process ends. */
typedef struct vc_host {
    /* sizeof(vc_host) as the host knows it: newer hosts may append fields. */
    uint32_t size;
    uint16_t abi_major;
    uint16_t abi_minor;
    /* Allocates memory that the host will own (outputs, error messages).
       Returns NULL when out of memory. Thread-safe. */
    void *(*allocate)(size_t bytes);
    /* Frees memory from allocate that the plugin will not hand over. */
    void (*release)(void *pointer);
    /* Writes a line to the daemon's log, with the plugin's name. Thread-safe. */
    void (*log)(const struct vc_host *host, int level, const char *message);
    /* The host's own data for log. Do not touch. */
    void *context;
} vc_host;

/* An RGBA8 image: 4 bytes per pixel, rows `stride` bytes apart (stride >= width * 4). */
typedef struct vc_image {
    uint8_t *pixels;
    uint32_t width;
    uint32_t height;
    size_t stride;
} vc_image;

/* What an image hook will need for one input (ABI 1.1, see image_plan). */
typedef struct vc_image_plan {
    /* The size of the image the hook will return. */
    uint32_t width;
    uint32_t height;
    /* 1 if it returns the input buffer changed in place, 0 for a new one. */
    uint32_t in_place;
    /* 0: room for later fields. */
    uint32_t reserved;
    /* The most memory the hook allocates at once besides a new output
       (scratch buffers, tables, its threads' work), in bytes. */
    uint64_t working_bytes;
} vc_image_plan;

/* The type of an option's value (ABI 1.2, vc_plugin_option.type). */
typedef enum vc_option_type {
    /* A whole number from minimum to maximum. */
    VC_OPTION_INTEGER = 1,
    /* A number from minimum to maximum. */
    VC_OPTION_NUMBER = 2,
    /* Text: one of `choices` when it is not NULL; minimum to maximum bytes
       long (0 and 0: any length). */
    VC_OPTION_STRING = 3,
    /* true or false. */
    VC_OPTION_BOOLEAN = 4
} vc_option_type;

/* Option flags (vc_plugin_option.flags). */
enum {
    /* A step must give this option. */
    VC_OPTION_REQUIRED = 1u << 0
};

/* One option a step of this plugin may give (ABI 1.2). Lives as long as the
   library. */
typedef struct vc_plugin_option {
    /* The key ("scale"): 1 to 32 characters of a-z, 0-9 and _. */
    const char *name;
    /* A vc_option_type. */
    uint32_t type;
    /* VC_OPTION_* bits. */
    uint32_t flags;
    /* The range (see vc_option_type); minimum <= maximum. */
    double minimum;
    double maximum;
    /* For VC_OPTION_STRING: the accepted values, ended by NULL; NULL: any. */
    const char *const *choices;
    /* One line for `vcctl plugins` and errors ("2, 3 or 4; default 2"). */
    const char *description;
    /* How AUTOMATIC1111's `parameters` text names it for an image hook
       ("Postprocess upscale by"); NULL: "Postprocess <plugin> <name>". */
    const char *infotext;
} vc_plugin_option;

/* What a plugin is. Returned by the entry point; must outlive the library. */
typedef struct vc_plugin_descriptor {
    /* VC_PLUGIN_ABI_MAJOR and VC_PLUGIN_ABI_MINOR as the plugin was built. */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* sizeof(vc_plugin_descriptor) as the plugin was built. */
    uint32_t size;
    /* A short lowercase name ("upscale"): what users write in --plugin. */
    const char *name;
    /* The plugin's own version ("1.2.0"). */
    const char *version;
    /* One line for `vcctl plugins`. */
    const char *description;
    /* VC_HOOK_* bits. */
    uint32_t hooks;
    /* VC_PLUGIN_* bits. */
    uint32_t flags;

    /* Optional. Called once after loading, with the plugin's configuration as
       a JSON object ("{}" when none). *state is passed to every hook. */
    vc_status (*init)(const vc_host *host, const char *config_json, void **state, char **error);
    /* Optional. Called at most once, when the daemon stops. */
    void (*deinit)(void *state);

    /* request_json: {"prompt", "negative_prompt", "model", "sampler",
       "image_count", "cfg_scale", "steps", "seed", "options": {...}}.
       *response_json: the same shape, changed, or {"requests": [ ... ]} to
       make several requests of one. */
    vc_status (*prompt)(void *state, const char *request_json, char **response_json, char **error);

    /* input: host-owned pixels, writable. params_json: the job's parameters
       and this step's "options". Set *output to *input after changing it in
       place, or to a new image whose pixels come from host->allocate. */
    vc_status (*image)(void *state, const vc_image *input, const char *params_json, vc_image *output, char **error);

    /* path: the saved image. params_json as for image. */
    vc_status (*file)(void *state, const char *path, const char *params_json, char **error);

    /* ABI 1.1 (a 1.0 descriptor ends before it). Optional, for the image hook.
       What image will return and allocate for a width x height input with
       params_json, without doing the work: the host holds that much of its
       image memory before it calls image (so a job waits rather than runs
       out of memory), and refuses a result larger than its output limit
       without calling image. A failing plan fails the step as image would.
       The image hook must keep to its plan: a result of another size, or a
       new buffer where the plan said in place, fails the step. NULL: the
       host counts a new image of the input's size and no working memory. */
    vc_status (*image_plan)(void *state, uint32_t width, uint32_t height, const char *params_json, vc_image_plan *plan,
                            char **error);

    /* ABI 1.2 (older descriptors end before it). Optional. The options a
       step may give, ended by an entry whose name is NULL (an empty list: a
       step takes none). NULL: any options, unchecked. */
    const vc_plugin_option *options;
} vc_plugin_descriptor;

/* The entry point's type. */
typedef const vc_plugin_descriptor *(*vc_plugin_entry)(void);

#ifdef __cplusplus
}
#endif

#endif /* VISIONCRAFT_PLUGIN_H */
