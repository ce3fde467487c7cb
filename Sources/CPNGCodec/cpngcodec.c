// write(2) under -std=c2x.
#define _POSIX_C_SOURCE 200809L
#include "cpngcodec.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

// Encodes with libpng through `write` and `flush` on `io`. `channels` is 4
// (RGBA) or 1 (grey); a `stride` of 0 repeats the first row on every row.
static int encode(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride, int channels,
                  const cpng_text *texts, int text_count, int level, int filters,
                  png_rw_ptr write, png_flush_ptr flush, void *io, char *error, size_t error_size) {
    codec_state state = {.error = error, .error_size = error_size};
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
        // Destroying clears info: whether it was ever made is decided first,
        // or libpng's own message would be replaced.
        if (!info) snprintf(error, error_size, "cannot create PNG info");
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(chunks);
        free(rows);
        return -1;
    }
    png_set_write_fn(png, io, write, flush);
    png_set_compression_level(png, level);
    if (filters) png_set_filter(png, 0, filters);
    png_set_IHDR(png, info, width, height, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
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

int cpng_encode(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                const cpng_text *texts, int text_count, int level, int filters,
                cpng_buffer *out, char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    int status = encode(pixels, width, height, stride, 4, texts, text_count, level, filters, write_to_buffer, flush_nothing, out,
                        error, error_size);
    if (status != 0) {
        free(out->data);
        memset(out, 0, sizeof(*out));
    }
    return status;
}

// Output to a file descriptor, gathered in blocks (libpng hands over 8 KiB
// at a time).
typedef struct {
    int fd;
    /// The errno of a failed write, 0 while none failed.
    int failure;
    size_t used;
    uint8_t block[1 << 16];
} fd_sink;

// Writes the gathered block out; 0, or the errno that stopped it.
static int drain(fd_sink *sink) {
    size_t written = 0;
    while (written < sink->used) {
        ssize_t count = write(sink->fd, sink->block + written, sink->used - written);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return count < 0 ? errno : EIO;
        written += (size_t)count;
    }
    sink->used = 0;
    return 0;
}

static void drain_or_fail(png_structp png, fd_sink *sink) {
    sink->failure = drain(sink);
    if (sink->failure) {
        char message[160];
        snprintf(message, sizeof message, "cannot write the PNG: %s", strerror(sink->failure));
        png_error(png, message);
    }
}

static void write_to_fd(png_structp png, png_bytep data, png_size_t length) {
    fd_sink *sink = png_get_io_ptr(png);
    while (length > 0) {
        size_t room = sizeof sink->block - sink->used;
        size_t part = length < room ? length : room;
        memcpy(sink->block + sink->used, data, part);
        sink->used += part;
        data += part;
        length -= part;
        if (sink->used == sizeof sink->block) drain_or_fail(png, sink);
    }
}

static void flush_fd(png_structp png) { drain_or_fail(png, png_get_io_ptr(png)); }

int cpng_encode_fd(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                   const cpng_text *texts, int text_count, int level, int filters,
                   int fd, char *error, size_t error_size) {
    fd_sink *sink = malloc(sizeof(fd_sink));
    if (!sink) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    sink->fd = fd;
    sink->failure = 0;
    sink->used = 0;
    int status = encode(pixels, width, height, stride, 4, texts, text_count, level, filters, write_to_fd, flush_fd, sink,
                        error, error_size);
    // The last block (libpng need not flush after IEND).
    if (status == 0) sink->failure = drain(sink);
    if (sink->failure) {
        snprintf(error, error_size, "cannot write the PNG: %s", strerror(sink->failure));
        status = -2;
    }
    free(sink);
    return status;
}

int cpng_encode_flat_gray(uint32_t width, uint32_t height, uint8_t gray, cpng_buffer *out, char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    uint8_t *row = malloc(width ? width : 1);
    if (!row) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    memset(row, gray, width);
    int status = encode(row, width, height, 0, 1, NULL, 0, 9, PNG_FILTER_NONE, write_to_buffer, flush_nothing, out, error, error_size);
    free(row);
    if (status != 0) {
        free(out->data);
        memset(out, 0, sizeof(*out));
    }
    return status;
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
        // Destroying clears info: whether it was ever made is decided first,
        // or libpng's own message would be replaced.
        if (!info) snprintf(error, error_size, "cannot create PNG info");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(rows);
        cpng_free_image(out);
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

static uint32_t big_endian(const uint8_t *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

int cpng_check(const uint8_t *data, size_t length, int whole, uint32_t *width, uint32_t *height, char *error, size_t error_size) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (length < 8 || memcmp(data, signature, 8) != 0) {
        snprintf(error, error_size, "not a PNG (bad signature)");
        return -1;
    }
    size_t offset = 8;
    int image_data = 0;
    for (int index = 0;; index++) {
        if (length - offset < 12) {
            if (index == 0) {
                snprintf(error, error_size, "the PNG ends before its header");
            } else {
                snprintf(error, error_size, "the PNG ends early, at byte %zu of %zu (no IEND chunk)", offset, length);
            }
            return -1;
        }
        uint32_t size = big_endian(data + offset);
        const uint8_t *type = data + offset + 4;
        char name[5] = {0};
        for (int i = 0; i < 4; i++) {
            int letter = (type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z');
            name[i] = letter ? (char)type[i] : '?';
            if (!letter) {
                snprintf(error, error_size, "a damaged chunk at byte %zu (its type is not four letters)", offset);
                return -1;
            }
        }
        if (size > 0x7FFFFFFFu || length - offset - 12 < size) {
            snprintf(error, error_size, "chunk %s at byte %zu is %u bytes long, past the end of the PNG (%zu bytes)", name, offset, size, length);
            return -1;
        }
        uint32_t stored = big_endian(type + 4 + size);
        uint32_t computed = (uint32_t)crc32(crc32(0, NULL, 0), type, 4 + size);
        if (stored != computed) {
            snprintf(error, error_size, "chunk %s at byte %zu is damaged (CRC error)", name, offset);
            return -1;
        }
        if (index == 0) {
            if (memcmp(type, "IHDR", 4) != 0 || size != 13) {
                snprintf(error, error_size, "the first chunk is %s, not a 13-byte IHDR", name);
                return -1;
            }
            *width = big_endian(type + 4);
            *height = big_endian(type + 8);
            if (*width == 0 || *height == 0 || *width > 0x7FFFFFFFu || *height > 0x7FFFFFFFu) {
                snprintf(error, error_size, "the header states an impossible size, %ux%u", *width, *height);
                return -1;
            }
            if (!whole) return 0;
        }
        offset += 12 + (size_t)size;
        if (memcmp(type, "IDAT", 4) == 0) image_data = 1;
        if (memcmp(type, "IEND", 4) == 0) {
            if (!image_data) {
                snprintf(error, error_size, "the PNG has no image data (IDAT chunk)");
                return -1;
            }
            return 0;
        }
    }
}
