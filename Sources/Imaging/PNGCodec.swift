import CPNGCodec
import Posix

/// PNG encoding and decoding through libpng, with text chunks (the
/// AUTOMATIC1111 `parameters` chunk lives there).
public enum PNGCodec {
    /// A text chunk: a keyword (1 to 79 Latin-1 characters, no leading or
    /// trailing spaces) and its text.
    public struct TextChunk: Sendable, Equatable {
        public var keyword: String
        public var text: String

        public init(keyword: String, text: String) {
            self.keyword = keyword
            self.text = text
        }
    }

    /// How hard to compress.
    public struct Options: Sendable {
        /// zlib level 0 (store) to 9 (smallest).
        public var compressionLevel: Int
        /// A PNG filter mask (PNG_FILTER_*), 0 for libpng's choice.
        public var filters: Int32

        public init(compressionLevel: Int = 6, filters: Int32 = 0) {
            self.compressionLevel = compressionLevel
            self.filters = filters
        }

        /// PNG_FILTER_NONE: rows stored as they are. Much faster to encode
        /// than libpng's adaptive choice, for a somewhat larger file
        /// (BENCHMARKS.md, "Notes from profiles").
        public static let noFilter: Int32 = 0x08
    }

    /// Limits for decoding untrusted files (decompression bombs).
    public struct DecodeLimits: Sendable {
        public var maximumSide: UInt32
        public var maximumPixels: UInt64

        public init(maximumSide: UInt32 = 16384, maximumPixels: UInt64 = 64 << 20) {
            self.maximumSide = maximumSide
            self.maximumPixels = maximumPixels
        }
    }

    /// Encodes an image with text chunks (tEXt when ASCII, else iTXt in UTF-8).
    public static func encode(_ image: RGBAImage, text: [TextChunk] = [], options: Options = Options()) throws(ImagingError) -> [UInt8] {
        try check(text, options)
        let keywords = text.map { Array($0.keyword.utf8CString) }
        let texts = text.map { Array($0.text.utf8CString) }
        var output = cpng_buffer()
        var error = [CChar](repeating: 0, count: 256)
        let status = withCTextChunks(keywords, texts) { chunks in
            image.pixels.withUnsafeBufferPointer { pixels in
                cpng_encode(
                    pixels.baseAddress, UInt32(image.width), UInt32(image.height), image.width * 4,
                    chunks.baseAddress, Int32(chunks.count), Int32(options.compressionLevel), options.filters,
                    &output, &error, error.count
                )
            }
        }
        guard status == 0 else { throw ImagingError("PNG encoding failed: \(message(error))") }
        defer { free(output.data) }
        return Array(UnsafeBufferPointer(start: output.data, count: output.length))
    }

    /// Decodes a PNG of any colour type and depth to 8-bit RGBA, with its text chunks.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImagingError) -> (image: RGBAImage, text: [TextChunk]) {
        let decoded = try decodePixels(bytes, limits: limits)
        return (decoded.pixels.image, decoded.text)
    }

    /// Decodes like `decode(_:limits:)` into a `PixelBuffer`: the decoder's
    /// memory, not a copy of it (`width * height * 4` bytes).
    public static func decodePixels(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImagingError) -> (pixels: PixelBuffer, text: [TextChunk]) {
        var decoded = cpng_image()
        var error = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { data in
            cpng_decode(data.baseAddress, data.count, limits.maximumSide, limits.maximumPixels, &decoded, &error, error.count)
        }
        guard status == 0 else { throw ImagingError("not a usable PNG: \(message(error))") }
        let pixels = PixelBuffer(adopting: decoded.pixels, width: Int(decoded.width), height: Int(decoded.height), stride: Int(decoded.width) * 4)
        decoded.pixels = nil
        defer { cpng_free_image(&decoded) }
        var text: [TextChunk] = []
        for index in 0..<Int(decoded.text_count) {
            let keyword = latin1(UnsafeBufferPointer(start: decoded.keywords[index], count: strlen(decoded.keywords[index]!)))
            let raw = UnsafeBufferPointer(start: decoded.texts[index], count: decoded.text_lengths[index])
            let value = decoded.text_is_utf8[index] != 0
                ? String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : latin1(raw)
            text.append(TextChunk(keyword: keyword, text: value))
        }
        return (pixels, text)
    }

    /// Encodes `image` like `encode(_:text:options:)`, writing the PNG to the
    /// open file `descriptor` as it is made instead of gathering it in memory.
    public static func encode(
        _ image: PixelBuffer, text: [TextChunk] = [], options: Options = Options(), toDescriptor descriptor: Int32
    ) throws(ImagingError) {
        try check(text, options)
        let keywords = text.map { Array($0.keyword.utf8CString) }
        let texts = text.map { Array($0.text.utf8CString) }
        var error = [CChar](repeating: 0, count: 256)
        let status = withCTextChunks(keywords, texts) { chunks in
            cpng_encode_fd(
                image.pixels, UInt32(image.width), UInt32(image.height), image.stride, chunks.baseAddress, Int32(chunks.count),
                Int32(options.compressionLevel), options.filters, descriptor, &error, error.count
            )
        }
        guard status == 0 else { throw ImagingError("PNG encoding failed: \(message(error))", isWriteFailure: status == -2) }
    }

    /// The size a PNG's header states, after checking the signature and the
    /// header chunk (its CRC too); nothing is decoded.
    public static func size(of bytes: [UInt8]) throws(ImagingError) -> (width: Int, height: Int) {
        try checkStructure(bytes, whole: false)
    }

    /// Checks that `bytes` is a whole, undamaged PNG without decoding it:
    /// the signature, IHDR first, every chunk's length and CRC, image data,
    /// and IEND before the end (what a truncated or damaged download breaks).
    /// Returns the size the header states.
    @discardableResult
    public static func verify(_ bytes: [UInt8]) throws(ImagingError) -> (width: Int, height: Int) {
        try checkStructure(bytes, whole: true)
    }

    /// A PNG of one grey level (8-bit grey, zlib level 9, no filter), as
    /// small as a PNG of its size can be: 8192x8192 is about 63 KB, and
    /// 256 MiB once decoded to RGBA. How a decompression bomb looks.
    public static func flatGray(width: Int, height: Int, level: UInt8 = 0) throws(ImagingError) -> [UInt8] {
        guard (1...Int(UInt32.max)).contains(width), (1...Int(UInt32.max)).contains(height) else {
            throw ImagingError("\(width)x\(height) is not a PNG size")
        }
        var output = cpng_buffer()
        var error = [CChar](repeating: 0, count: 256)
        guard cpng_encode_flat_gray(UInt32(width), UInt32(height), level, &output, &error, error.count) == 0 else {
            throw ImagingError("PNG encoding failed: \(message(error))")
        }
        defer { free(output.data) }
        return Array(UnsafeBufferPointer(start: output.data, count: output.length))
    }

    /// True if `bytes` start with the PNG signature.
    public static func hasSignature(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    // MARK: Private

    /// What libpng would refuse halfway: keywords and the level.
    private static func check(_ text: [TextChunk], _ options: Options) throws(ImagingError) {
        for chunk in text {
            let length = chunk.keyword.utf8.count
            guard length >= 1, length <= 79, chunk.keyword.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
                chunk.keyword.first != " ", chunk.keyword.last != " "
            else {
                throw ImagingError("'\(chunk.keyword)' is not a PNG text keyword (1 to 79 printable ASCII characters)")
            }
        }
        guard (0...9).contains(options.compressionLevel) else {
            throw ImagingError("compression level \(options.compressionLevel) is not between 0 and 9")
        }
    }

    private static func checkStructure(_ bytes: [UInt8], whole: Bool) throws(ImagingError) -> (width: Int, height: Int) {
        var width: UInt32 = 0
        var height: UInt32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { data in
            cpng_check(data.baseAddress, data.count, whole ? 1 : 0, &width, &height, &error, error.count)
        }
        guard status == 0 else { throw ImagingError("not a usable PNG: \(message(error))") }
        return (Int(width), Int(height))
    }

    private static func withCTextChunks<Result>(
        _ keywords: [[CChar]], _ texts: [[CChar]], _ body: (UnsafeBufferPointer<cpng_text>) -> Result
    ) -> Result {
        var chunks: [cpng_text] = []
        var result: Result?
        func build(_ index: Int) {
            guard index < keywords.count else {
                result = chunks.withUnsafeBufferPointer(body)
                return
            }
            keywords[index].withUnsafeBufferPointer { keyword in
                texts[index].withUnsafeBufferPointer { text in
                    chunks.append(cpng_text(keyword: keyword.baseAddress, text: text.baseAddress, text_length: text.count - 1))
                    build(index + 1)
                }
            }
        }
        build(0)
        return result!
    }

    private static func latin1(_ characters: UnsafeBufferPointer<CChar>) -> String {
        String(String.UnicodeScalarView(characters.map { Unicode.Scalar(UInt8(bitPattern: $0)) }))
    }

    private static func message(_ buffer: [CChar]) -> String {
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

