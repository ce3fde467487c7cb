// upscale: a visioncraft image plugin that resizes with Lanczos3.
//
// Options: {"scale": 2} (2, 3 or 4; the default is 2), or {"width": W,
// "height": H} for a target size (either alone keeps the aspect ratio).
//
// Resampling is separable (rows, then columns) in premultiplied alpha, so a
// transparent pixel's colour never bleeds into its neighbours; edges repeat
// the border pixel. The taps of each output column and row are computed once;
// the inner loops are plain multiply-adds over floats that the compiler
// vectorises. Images of a megapixel or more are split across threads, each
// making a band of output rows. Memory: an output row needs the TAPS input
// rows under it resampled across, so each thread keeps only those, in a ring
// of TAPS rows (each made once as the band moves down), never the whole
// image's: a few hundred KiB a thread for a 16384-wide result, where a
// buffer of every resampled row would be 2 GiB. image_plan says so.
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "visioncraft_plugin.h"

#define TAPS 6
#define PI 3.14159265358979323846
#define MAX_SIDE 16384

// The host's callbacks: the same table for every load, but two loads may
// initialise at once (tests, a reload), so it is stored and read atomically.
static _Atomic(const vc_host *) host;

static vc_status fail(char **error, vc_status status, const char *message) {
    size_t length = strlen(message) + 1;
    *error = atomic_load_explicit(&host, memory_order_acquire)->allocate(length);
    if (*error) memcpy(*error, message, length);
    return status;
}

/// Reads an integer option ("name":N) from a flat JSON object, or -1.
static long option(const char *json, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *options = strstr(json, "\"options\":");
    const char *found = strstr(options ? options : json, key);
    if (!found) return -1;
    found += strlen(key);
    while (*found == ' ') found++;
    char *end;
    long value = strtol(found, &end, 10);
    return end == found ? -2 : value;
}

static double lanczos3(double x) {
    if (x == 0) return 1;
    if (x <= -3 || x >= 3) return 0;
    double pix = PI * x;
    return 3 * sin(pix) * sin(pix / 3) / (pix * pix);
}

/// For each output index, the first input index and TAPS normalised weights.
typedef struct {
    int *first;
    float *weights;
} taps;

static int make_taps(taps *t, uint32_t in, uint32_t out) {
    t->first = malloc(sizeof(int) * out);
    t->weights = malloc(sizeof(float) * out * TAPS);
    if (!t->first || !t->weights) return 0;
    double scale = (double)out / in;
    for (uint32_t o = 0; o < out; o++) {
        double center = (o + 0.5) / scale - 0.5;
        int first = (int)floor(center) - 2;
        double sum = 0, w[TAPS];
        for (int k = 0; k < TAPS; k++) {
            w[k] = lanczos3(center - (first + k));
            sum += w[k];
        }
        t->first[o] = first;
        for (int k = 0; k < TAPS; k++) t->weights[o * TAPS + k] = (float)(w[k] / sum);
    }
    return 1;
}

static void free_taps(taps *t) {
    free(t->first);
    free(t->weights);
}

static inline int clampi(int v, int low, int high) { return v < low ? low : v > high ? high : v; }

typedef struct {
    const vc_image *input;
    uint8_t *output;
    uint32_t out_w, out_h;
    const taps *tx, *ty;
    uint32_t from, to;  // the output rows this worker makes
} work;

/// Input row y resampled across to out_w pixels (premultiplied floats).
static void resample_row(const work *w, uint32_t y, float *target) {
    const vc_image *in = w->input;
    const uint8_t *source = in->pixels + (size_t)y * in->stride;
    for (uint32_t x = 0; x < w->out_w; x++) {
        float r = 0, g = 0, b = 0, a = 0;
        const float *weights = w->tx->weights + (size_t)x * TAPS;
        for (int k = 0; k < TAPS; k++) {
            const uint8_t *p = source + 4 * clampi(w->tx->first[x] + k, 0, (int)in->width - 1);
            float alpha = p[3] * (1.0f / 255.0f);
            float weight = weights[k];
            r += weight * p[0] * alpha;
            g += weight * p[1] * alpha;
            b += weight * p[2] * alpha;
            a += weight * p[3];
        }
        target[4 * x] = r;
        target[4 * x + 1] = g;
        target[4 * x + 2] = b;
        target[4 * x + 3] = a;
    }
}

/// A worker's memory: TAPS resampled rows and an accumulator row.
static size_t worker_bytes(uint64_t out_w) { return sizeof(float) * (size_t)out_w * 4 * (TAPS + 1); }

/// Output rows [from, to). The rows an output row reads are consecutive
/// (clamped at the edges) and move down with it, so TAPS of them are
/// distinct modulo TAPS: input row j lives in slot j % TAPS until a row
/// below needs the slot.
static void *run(void *argument) {
    work *w = argument;
    const vc_image *in = w->input;
    size_t row = (size_t)w->out_w * 4;
    float *ring = malloc(worker_bytes(w->out_w));
    if (!ring) return (void *)1;
    float *accumulator = ring + row * TAPS;
    long held[TAPS];
    for (int k = 0; k < TAPS; k++) held[k] = -1;
    for (uint32_t y = w->from; y < w->to; y++) {
        memset(accumulator, 0, sizeof(float) * row);
        const float *weights = w->ty->weights + (size_t)y * TAPS;
        for (int k = 0; k < TAPS; k++) {
            int j = clampi(w->ty->first[y] + k, 0, (int)in->height - 1);
            float *source = ring + (size_t)(j % TAPS) * row;
            if (held[j % TAPS] != j) {
                resample_row(w, (uint32_t)j, source);
                held[j % TAPS] = j;
            }
            float weight = weights[k];
            for (size_t i = 0; i < row; i++) accumulator[i] += weight * source[i];
        }
        uint8_t *target = w->output + (size_t)y * row;
        for (uint32_t x = 0; x < w->out_w; x++) {
            float a = accumulator[4 * x + 3];
            float alpha = a < 0.5f ? 0 : a;
            float unpremultiply = alpha > 0 ? 255.0f / alpha : 0;
            for (int c = 0; c < 3; c++) {
                float v = accumulator[4 * x + c] * unpremultiply;
                target[4 * x + c] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5f);
            }
            target[4 * x + 3] = (uint8_t)(a <= 0 ? 0 : a >= 255 ? 255 : a + 0.5f);
        }
    }
    free(ring);
    return NULL;
}

/// Threads for a result of out_w x out_h: one below a megapixel, else one
/// a core (at most 16).
static int thread_count(uint64_t out_w, uint64_t out_h) {
    if (out_w * out_h < 1000000 || out_h < 64) return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return (int)(cores < 1 ? 1 : cores > 16 ? 16 : cores);
}

/// Makes the output rows on `threads` threads, a band each.
static int parallel(work base, int threads) {
    if (threads < 2) {
        base.from = 0;
        base.to = base.out_h;
        return run(&base) == NULL;
    }
    pthread_t ids[16];
    work parts[16];
    int started = 0, ok = 1;
    for (int i = 0; i < threads; i++) {
        parts[i] = base;
        parts[i].from = (uint32_t)((uint64_t)base.out_h * i / threads);
        parts[i].to = (uint32_t)((uint64_t)base.out_h * (i + 1) / threads);
        if (pthread_create(&ids[i], NULL, run, &parts[i]) != 0) {
            ok = run(&parts[i]) == NULL && ok;
        } else {
            started |= 1 << i;
        }
    }
    for (int i = 0; i < threads; i++) {
        if (started & (1 << i)) {
            void *result;
            pthread_join(ids[i], &result);
            if (result) ok = 0;
        }
    }
    return ok;
}

/// The result's size for an in_w x in_h input and the options.
static vc_status target_size(uint32_t in_w, uint32_t in_h, const char *params_json, uint64_t *out_w, uint64_t *out_h, char **error) {
    long scale = option(params_json, "scale");
    long width = option(params_json, "width");
    long height = option(params_json, "height");
    if (scale == -2 || width == -2 || height == -2) return fail(error, VC_INVALID_INPUT, "scale, width and height must be whole numbers");
    if (width > 0 || height > 0) {
        if (scale > 0) return fail(error, VC_INVALID_INPUT, "give scale, or width and height, not both");
        *out_w = width > 0 ? (uint64_t)width : (uint64_t)((double)height * in_w / in_h + 0.5);
        *out_h = height > 0 ? (uint64_t)height : (uint64_t)((double)width * in_h / in_w + 0.5);
    } else {
        if (scale < 0) scale = 2;
        if (scale < 2 || scale > 4) return fail(error, VC_INVALID_INPUT, "scale must be 2, 3 or 4");
        *out_w = (uint64_t)in_w * scale;
        *out_h = (uint64_t)in_h * scale;
    }
    if (*out_w < 1 || *out_h < 1 || *out_w > MAX_SIDE || *out_h > MAX_SIDE) {
        return fail(error, VC_INVALID_INPUT, "the result would be larger than 16384 pixels on a side (or empty)");
    }
    return VC_OK;
}

static vc_status upscale_init(const vc_host *given, const char *config_json, void **state, char **error) {
    (void)config_json; (void)state; (void)error;
    atomic_store_explicit(&host, given, memory_order_release);
    return VC_OK;
}

static vc_status upscale_plan(void *state, uint32_t width, uint32_t height, const char *params_json, vc_image_plan *plan, char **error) {
    (void)state;
    uint64_t out_w, out_h;
    vc_status status = target_size(width, height, params_json, &out_w, &out_h, error);
    if (status != VC_OK) return status;
    plan->width = (uint32_t)out_w;
    plan->height = (uint32_t)out_h;
    plan->in_place = 0;
    // The taps of every column and row, and each thread's rows.
    uint64_t tables = (sizeof(int) + sizeof(float) * TAPS) * (out_w + out_h);
    plan->working_bytes = tables + (uint64_t)thread_count(out_w, out_h) * worker_bytes(out_w);
    return VC_OK;
}

static vc_status upscale_image(void *state, const vc_image *input, const char *params_json, vc_image *output, char **error) {
    (void)state;
    uint64_t out_w, out_h;
    vc_status status = target_size(input->width, input->height, params_json, &out_w, &out_h, error);
    if (status != VC_OK) return status;
    taps tx = {0}, ty = {0};
    uint8_t *pixels = atomic_load_explicit(&host, memory_order_acquire)->allocate((size_t)out_w * out_h * 4);
    if (!pixels || !make_taps(&tx, input->width, (uint32_t)out_w) || !make_taps(&ty, input->height, (uint32_t)out_h)) {
        status = fail(error, VC_OUT_OF_MEMORY, "not enough memory for the resized image");
    } else {
        work base = {input, pixels, (uint32_t)out_w, (uint32_t)out_h, &tx, &ty, 0, 0};
        if (!parallel(base, thread_count(out_w, out_h))) status = fail(error, VC_OUT_OF_MEMORY, "not enough memory");
    }
    free_taps(&tx);
    free_taps(&ty);
    if (status != VC_OK) {
        if (pixels) atomic_load_explicit(&host, memory_order_acquire)->release(pixels);
        return status;
    }
    output->pixels = pixels;
    output->width = (uint32_t)out_w;
    output->height = (uint32_t)out_h;
    output->stride = (size_t)out_w * 4;
    return VC_OK;
}

// Checked by the host when a job is submitted; target_size checks again
// what only the input's size decides.
static const vc_plugin_option options[] = {
    {.name = "scale", .type = VC_OPTION_INTEGER, .minimum = 2, .maximum = 4, .description = "2, 3 or 4; default 2",
     .infotext = "Postprocess upscale by"},
    {.name = "width", .type = VC_OPTION_INTEGER, .minimum = 1, .maximum = MAX_SIDE,
     .description = "the result's width in pixels (alone: keeps the aspect ratio)", .infotext = "Postprocess upscale to width"},
    {.name = "height", .type = VC_OPTION_INTEGER, .minimum = 1, .maximum = MAX_SIDE,
     .description = "the result's height in pixels (alone: keeps the aspect ratio)", .infotext = "Postprocess upscale to height"},
    {.name = NULL},
};

static const vc_plugin_descriptor descriptor = {
    .abi_major = VC_PLUGIN_ABI_MAJOR,
    .abi_minor = VC_PLUGIN_ABI_MINOR,
    .size = sizeof(vc_plugin_descriptor),
    .name = "upscale",
    .version = "1.2.0",
    .description = "Lanczos3 resize: scale=2|3|4, or width=W height=H",
    .hooks = VC_HOOK_IMAGE,
    .flags = 0,
    .init = upscale_init,
    .image = upscale_image,
    .image_plan = upscale_plan,
    .options = options,
};

const vc_plugin_descriptor *visioncraft_plugin_entry(void) { return &descriptor; }
