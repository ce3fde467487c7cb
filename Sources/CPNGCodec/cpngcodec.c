#include "cpngcodec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libpng reports errors by calling an error function that must not return;
// ours records the message and longjmps back into this file only.
typedef struct {
    jmp_buf jump;
    char *error;
    size_t error_size;
} codec_state;

static void on_error(png_structp png, png_const_charp message) {
    codec_state *state = png_get_error_ptr(png);
    snprintf(state->error, state->error_size, "%s", message);
    longjmp(state->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void write_to_buffer(png_structp png, png_bytep data, png_size_t length) {
    cpng_buffer *buffer = png_get_io_ptr(png);
    if (buffer->length + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity * 2 : 65536;
        while (capacity < buffer->length + length) capacity *= 2;
        uint8_t *grown = realloc(buffer->data, capacity);
        if (!grown) png_error(png, "out of memory");
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, length);
    buffer->length += length;
}

static void flush_nothing(png_structp png) { (void)png; }

static int is_ascii(const char *text, size_t length) {
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)text[i] >= 0x80) return 0;
    }
    return 1;
}

int cpng_encode(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                const cpng_text *texts, int text_count, int level, int filters,
                cpng_buffer *out, char *error, size_t error_size) {
    codec_state state = {.error = error, .error_size = error_size};
    memset(out, 0, sizeof(*out));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, on_error, on_warning);
    if (!png) {
        snprintf(error, error_size, "cannot create a PNG writer");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    // Read after a longjmp: must be volatile.
    png_textp volatile chunks = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(state.jump)) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(chunks);
        free(rows);
        free(out->data);
        memset(out, 0, sizeof(*out));
        if (!info) snprintf(error, error_size, "cannot create PNG info");
        return -1;
    }
    png_set_write_fn(png, out, write_to_buffer, flush_nothing);
    png_set_compression_level(png, level);
    if (filters) png_set_filter(png, 0, filters);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        chunks = calloc((size_t)text_count, sizeof(png_text));
        if (!chunks) png_error(png, "out of memory");
        for (int i = 0; i < text_count; i++) {
            int ascii = is_ascii(texts[i].text, texts[i].text_length);
            chunks[i].compression = ascii ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
            chunks[i].key = (png_charp)texts[i].keyword;
            chunks[i].text = (png_charp)texts[i].text;
            if (ascii) {
                chunks[i].text_length = texts[i].text_length;
            } else {
                chunks[i].itxt_length = texts[i].text_length;
            }
        }
        png_set_text(png, info, chunks, text_count);
    }
    png_write_info(png, info);
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * stride);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(chunks);
    free(rows);
    return 0;
}

typedef struct {
    const uint8_t *data;
    size_t length;
    size_t offset;
} read_source;

static void read_from_memory(png_structp png, png_bytep target, png_size_t length) {
    read_source *source = png_get_io_ptr(png);
    if (source->length - source->offset < length) png_error(png, "the PNG data ends too early");
    memcpy(target, source->data + source->offset, length);
    source->offset += length;
}

int cpng_decode(const uint8_t *data, size_t length, uint32_t max_side, uint64_t max_pixels,
                cpng_image *out, char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    if (length < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(error, error_size, "not a PNG (bad signature)");
        return -1;
    }
    codec_state state = {.error = error, .error_size = error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, on_error, on_warning);
    if (!png) {
        snprintf(error, error_size, "cannot create a PNG reader");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(state.jump)) {
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(rows);
        cpng_free_image(out);
        if (!info) snprintf(error, error_size, "cannot create PNG info");
        return -1;
    }
    read_source source = {.data = data, .length = length, .offset = 0};
    png_set_read_fn(png, &source, read_from_memory);
    png_set_user_limits(png, max_side, max_side);
    png_set_chunk_malloc_max(png, 8 << 20);
    png_read_info(png, info);
    uint32_t width = png_get_image_width(png, info);
    uint32_t height = png_get_image_height(png, info);
    if ((uint64_t)width * height > max_pixels) {
        png_error(png, "the image has too many pixels");
    }
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (!(color & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t stride = (size_t)width * 4;
    if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected row size after conversion");
    out->pixels = malloc(stride * (height ? height : 1));
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!out->pixels || !rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = out->pixels + (size_t)y * stride;
    png_read_image(png, rows);
    png_read_end(png, info);
    out->width = width;
    out->height = height;

    png_textp chunks = NULL;
    int count = 0;
    png_get_text(png, info, &chunks, &count);
    if (count > 0) {
        out->keywords = calloc((size_t)count, sizeof(char *));
        out->texts = calloc((size_t)count, sizeof(char *));
        out->text_lengths = calloc((size_t)count, sizeof(size_t));
        out->text_is_utf8 = calloc((size_t)count, sizeof(int));
        if (!out->keywords || !out->texts || !out->text_lengths || !out->text_is_utf8) png_error(png, "out of memory");
        for (int i = 0; i < count; i++) {
            size_t text_length = chunks[i].compression >= PNG_ITXT_COMPRESSION_NONE ? chunks[i].itxt_length : chunks[i].text_length;
            out->keywords[i] = strdup(chunks[i].key);
            out->texts[i] = malloc(text_length + 1);
            if (!out->keywords[i] || !out->texts[i]) png_error(png, "out of memory");
            memcpy(out->texts[i], chunks[i].text, text_length);
            out->texts[i][text_length] = 0;
            out->text_lengths[i] = text_length;
            out->text_is_utf8[i] = chunks[i].compression >= PNG_ITXT_COMPRESSION_NONE;
            out->text_count = i + 1;
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return 0;
}

void cpng_free_image(cpng_image *image) {
    for (int i = 0; i < image->text_count; i++) {
        free(image->keywords[i]);
        free(image->texts[i]);
    }
    free(image->keywords);
    free(image->texts);
    free(image->text_lengths);
    free(image->text_is_utf8);
    free(image->pixels);
    memset(image, 0, sizeof(*image));
}
