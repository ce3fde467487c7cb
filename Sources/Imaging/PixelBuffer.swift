import Posix

/// 8-bit RGBA pixels in memory from `malloc`, rows `stride` bytes apart: how
/// an image goes from the decoder through plugin hooks to the encoder without
/// being copied (a plugin's result is adopted as it came). The memory is
/// freed with the last reference.
///
/// - Important: one owner at a time. The pixels are writable through any
///   reference; whoever holds the buffer while another thread writes it
///   (a plugin hook) must not read it until that thread is done.
public final class PixelBuffer: @unchecked Sendable {
    public let width: Int
    public let height: Int
    /// Bytes from one row to the next (at least `width * 4`).
    public let stride: Int
    /// `stride * height` bytes, owned by this buffer.
    public let pixels: UnsafeMutablePointer<UInt8>

    /// Takes `pixels`, which came from `malloc` and is at least
    /// `stride * height` bytes; it is freed with `free`.
    public init(adopting pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int, stride: Int) {
        precondition(width > 0 && height > 0 && stride >= width * 4, "not an RGBA buffer: \(width)x\(height), stride \(stride)")
        self.pixels = pixels
        self.width = width
        self.height = height
        self.stride = stride
    }

    /// A packed copy of `image`.
    ///
    /// - Throws: `ImagingError` when the memory cannot be had.
    public convenience init(copying image: RGBAImage) throws(ImagingError) {
        guard let memory = malloc(image.pixels.count)?.assumingMemoryBound(to: UInt8.self) else {
            throw ImagingError("out of memory for a \(image.width)x\(image.height) image")
        }
        image.pixels.withUnsafeBufferPointer { memory.update(from: $0.baseAddress!, count: $0.count) }
        self.init(adopting: memory, width: image.width, height: image.height, stride: image.width * 4)
    }

    deinit {
        free(pixels)
    }

    /// The memory the pixels take.
    public var byteCount: Int { stride * height }

    /// The pixels as an `RGBAImage` (a packed copy).
    public var image: RGBAImage {
        let rowBytes = width * 4
        let packed = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { target, initialized in
            for row in 0..<height {
                (target.baseAddress! + row * rowBytes).update(from: pixels + row * stride, count: rowBytes)
            }
            initialized = rowBytes * height
        }
        return RGBAImage(width: width, height: height, checkedPixels: packed)
    }
}
