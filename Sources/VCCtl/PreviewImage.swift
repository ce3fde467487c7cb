import Imaging

/// An opaque 8-bit RGB image for terminal previews: rows top to bottom, 3
/// bytes per pixel, no padding. Transparency is already composited over
/// black (the API's images are opaque).
struct PreviewImage: Sendable, Equatable {
    let width: Int
    let height: Int
    /// `width * height * 3` bytes: R, G, B per pixel.
    let pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "pixels do not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A decoded PNG, transparency composited over black.
    init(_ image: RGBAImage) {
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        image.pixels.withUnsafeBufferPointer { source in
            for index in 0..<(image.width * image.height) {
                let alpha = Int(source[index * 4 + 3])
                for channel in 0..<3 {
                    rgb[index * 3 + channel] = UInt8((Int(source[index * 4 + channel]) * alpha + 127) / 255)
                }
            }
        }
        self.init(width: image.width, height: image.height, pixels: rgb)
    }

    /// An image of one colour.
    init(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) {
        self.init(width: width, height: height, pixels: (0..<width * height).flatMap { _ in [red, green, blue] })
    }

    /// The pixel at (`x`, `y`).
    func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }
}
