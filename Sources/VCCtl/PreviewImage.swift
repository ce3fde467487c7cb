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

    /// The image shrunk to at most `maximumWidth` pixels wide, keeping its
    /// aspect ratio, by averaging the source pixels each target pixel covers.
    /// Never enlarges.
    func fitting(width maximumWidth: Int) -> PreviewImage {
        guard maximumWidth > 0, maximumWidth < width else { return self }
        let targetWidth = maximumWidth
        let targetHeight = max(1, (height * targetWidth + width / 2) / width)
        var sums = [Int](repeating: 0, count: targetWidth * targetHeight * 4)
        // Each source pixel adds to the target pixel it falls in.
        let columns = (0..<width).map { $0 * targetWidth / width }
        for y in 0..<height {
            let row = y * targetHeight / height * targetWidth
            var source = y * width * 3
            for x in 0..<width {
                let target = (row + columns[x]) * 4
                sums[target] += Int(pixels[source])
                sums[target + 1] += Int(pixels[source + 1])
                sums[target + 2] += Int(pixels[source + 2])
                sums[target + 3] += 1
                source += 3
            }
        }
        var result = [UInt8](repeating: 0, count: targetWidth * targetHeight * 3)
        for index in 0..<targetWidth * targetHeight {
            let count = max(1, sums[index * 4 + 3])
            for channel in 0..<3 {
                result[index * 3 + channel] = UInt8((sums[index * 4 + channel] + count / 2) / count)
            }
        }
        return PreviewImage(width: targetWidth, height: targetHeight, pixels: result)
    }
}
