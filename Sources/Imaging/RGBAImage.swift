/// An 8-bit RGBA image, rows packed top to bottom (4 bytes per pixel, no
/// padding): the form every image takes between decoding and encoding.
public struct RGBAImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 4` bytes: R, G, B, A per pixel.
    public var pixels: [UInt8]

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) = (0, 0, 0, 255)) {
        precondition(width > 0 && height > 0, "an image needs a positive size")
        self.width = width
        self.height = height
        let count = width * height * 4
        let word = Self.word(fill.r, fill.g, fill.b, fill.a)
        self.pixels = [UInt8](unsafeUninitializedCapacity: count) { bytes, initialized in
            Self.repeatWord(word, into: UnsafeMutableRawBufferPointer(bytes))
            initialized = count
        }
    }

    /// The four bytes of one pixel as a word whose in-memory order is R, G,
    /// B, A (whatever the machine's byte order), for filling runs of pixels.
    public static func word(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8) -> UInt32 {
        (UInt32(r) | UInt32(g) << 8 | UInt32(b) << 16 | UInt32(a) << 24).littleEndian
    }

    /// Sets the pixels `columns` of row `row` to one colour (a word from
    /// `word(_:_:_:_:)`); the range must lie inside the image.
    public mutating func fill(row: Int, columns: Range<Int>, with word: UInt32) {
        precondition((0..<height).contains(row) && columns.lowerBound >= 0 && columns.upperBound <= width, "outside the image")
        let start = (row * width + columns.lowerBound) * 4
        pixels.withUnsafeMutableBytes { bytes in
            Self.repeatWord(word, into: UnsafeMutableRawBufferPointer(rebasing: bytes[start..<(start + columns.count * 4)]))
        }
    }

    /// Fills `bytes` (a multiple of 4 long) with copies of `word` by doubling
    /// copies: a few memory copies instead of a loop per pixel, so it is fast
    /// in a debug build too (the emulator draws its pictures with it).
    private static func repeatWord(_ word: UInt32, into bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count >= 4 else { return }
        base.storeBytes(of: word, as: UInt32.self)
        var filled = 4
        while filled < bytes.count {
            let chunk = min(filled, bytes.count - filled)
            (base + filled).copyMemory(from: base, byteCount: chunk)
            filled += chunk
        }
    }

    /// Wraps existing pixels.
    ///
    /// - Throws: `ImagingError` when the byte count does not match the size.
    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImagingError) {
        guard width > 0, height > 0, pixels.count == width * height * 4 else {
            throw ImagingError("\(pixels.count) bytes do not make a \(width)x\(height) RGBA image")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Wraps pixels whose count the caller has made `width * height * 4`.
    init(width: Int, height: Int, checkedPixels pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at (x, y).
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        get {
            let index = (y * width + x) * 4
            return (pixels[index], pixels[index + 1], pixels[index + 2], pixels[index + 3])
        }
        set {
            let index = (y * width + x) * 4
            pixels[index] = newValue.r
            pixels[index + 1] = newValue.g
            pixels[index + 2] = newValue.b
            pixels[index + 3] = newValue.a
        }
    }

    public static func == (lhs: RGBAImage, rhs: RGBAImage) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.pixels == rhs.pixels
    }
}

/// An image that cannot be encoded or decoded, and why.
public struct ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// The image was fine but its file could not be written (a full disk).
    public let isWriteFailure: Bool

    public init(_ description: String, isWriteFailure: Bool = false) {
        self.description = description
        self.isWriteFailure = isWriteFailure
    }
}
