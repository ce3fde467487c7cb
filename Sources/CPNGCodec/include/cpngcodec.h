// PNG encoding and decoding through libpng, with libpng's longjmp-based error
// handling contained here: every function returns 0 on success, or -1 with a
// message in `error` (never longjmps into Swift).
#ifndef CPNGCODEC_H
#define CPNGCODEC_H

#include <stddef.h>
#include <stdint.h>

/// A text chunk: keyword (1 to 79 Latin-1 characters) and UTF-8 text.
typedef struct {
    const char *keyword;
    const char *text;
    size_t text_length;
} cpng_text;

/// A decoded image: 8-bit RGBA, rows packed (stride = width * 4), and its
/// text chunks. Free with cpng_free_image.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t *pixels;
    int text_count;
    char **keywords;
    char **texts;
    size_t *text_lengths;
    /// 1 for iTXt (UTF-8), 0 for tEXt/zTXt (Latin-1).
    int *text_is_utf8;
} cpng_image;

/// A growable output buffer. Free `data` with free().
typedef struct {
    uint8_t *data;
    size_t length;
    size_t capacity;
} cpng_buffer;

/// Encodes 8-bit RGBA pixels (`stride` bytes per row) as a PNG with text
/// chunks (tEXt for ASCII, iTXt for anything else).
/// `level` is the zlib level 0..9; `filters` a PNG_FILTER_* mask or 0 for
/// libpng's default.
int cpng_encode(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                const cpng_text *texts, int text_count, int level, int filters,
                cpng_buffer *out, char *error, size_t error_size);

/// The same, written to the file descriptor `fd` as it is made (in blocks
/// of 64 KiB) instead of gathered in memory. Returns -2 when writing failed.
int cpng_encode_fd(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                   const cpng_text *texts, int text_count, int level, int filters,
                   int fd, char *error, size_t error_size);

/// A `width` x `height` 8-bit grey PNG of one level, at zlib level 9 and no
/// filter: as small as a PNG of that size gets (a decompression bomb).
int cpng_encode_flat_gray(uint32_t width, uint32_t height, uint8_t gray, cpng_buffer *out, char *error, size_t error_size);

/// Decodes any PNG (palette, gray, 16-bit, with or without alpha) to 8-bit
/// RGBA. Refuses images wider or taller than `max_side` or with more than
/// `max_pixels` pixels (decompression bombs).
int cpng_decode(const uint8_t *data, size_t length, uint32_t max_side, uint64_t max_pixels,
                cpng_image *out, char *error, size_t error_size);

void cpng_free_image(cpng_image *image);

/// Checks a PNG's structure without decoding it: the signature, IHDR first,
/// every chunk's length and CRC, and (when `whole`) image data and an IEND
/// chunk before the end; `whole` 0 stops after IHDR. Sets the size IHDR states.
int cpng_check(const uint8_t *data, size_t length, int whole, uint32_t *width, uint32_t *height, char *error, size_t error_size);

#endif
