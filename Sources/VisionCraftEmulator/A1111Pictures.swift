import HTTPServer
import Imaging

/// The A1111 emulator's pictures: one per image of the batch, drawn by
/// `ImageSynthesizer` from the seed and what the request says, the size
/// A1111's latent gives (width and height rounded down to multiples of 8),
/// and the grid A1111 adds in front when images are saved.
enum A1111Pictures {
    /// The pictures with their infotexts, the grid (if any) first.
    static func render(_ processing: A1111Processing, initHash: UInt64, grid: Bool) throws(ImagingError) -> [(image: RGBAImage, infotext: String)] {
        var key = mix(0xCBF2_9CE4_8422_2325, Array(processing.prompt.utf8))
        key = mix(key, Array(processing.negativePrompt.utf8))
        key = mix(key, Array("\(processing.checkpoint.name)|\(processing.sampler)|\(processing.scheduler ?? "")|\(processing.steps)|\(processing.cfgScale)".utf8))
        key ^= initHash
        let width = processing.width / 8 * 8
        let height = processing.height / 8 * 8
        var pictures: [(image: RGBAImage, infotext: String)] = processing.seeds.enumerated().map { index, seed in
            // Index 0 for every image: the same seed and prompt draw the same
            // picture wherever it falls in a batch, as with Stable Diffusion.
            let spec = ImageSynthesizer.Spec(key: key ^ (UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15), index: 0, width: width, height: height)
            return (ImageSynthesizer.render(spec), processing.infotext(index: index))
        }
        // return_grid and grid_only_if_multiple, A1111's defaults; the grid
        // exists only when the API saves (do_not_save_grid = not save_images).
        if grid, pictures.count >= 2 {
            pictures.insert((try self.grid(pictures.map(\.image)), processing.infotext(index: 0, mainPrompt: true)), at: 0)
        }
        return pictures
    }

    /// `images.image_grid` with `n_rows` -1: round(sqrt(n)) rows, black where no image falls.
    static func grid(_ images: [RGBAImage]) throws(ImagingError) -> RGBAImage {
        let rows = max(1, Int(Double(images.count).squareRoot().rounded()))
        let columns = (images.count + rows - 1) / rows
        let (width, height) = (images[0].width, images[0].height)
        var pixels = [UInt8](repeating: 0, count: columns * width * rows * height * 4)
        for stride in Swift.stride(from: 3, to: pixels.count, by: 4) { pixels[stride] = 255 }
        for (index, image) in images.enumerated() {
            let (left, top) = (index % columns * width, index / columns * height)
            for row in 0..<height {
                let source = row * width * 4
                let target = ((top + row) * columns * width + left) * 4
                pixels.replaceSubrange(target..<(target + width * 4), with: image.pixels[source..<(source + width * 4)])
            }
        }
        return try RGBAImage(width: columns * width, height: rows * height, pixels: pixels)
    }

    /// What the GPU would refuse: a side under 8 (an empty latent), no
    /// image or no step, or more pixels than the emulated card holds.
    static func resourceFailure(_ processing: A1111Processing, memoryPixels: Int) -> HTTPReply? {
        if processing.imageCount < 1 { return A1111Service.pythonError("IndexError", "list index out of range") }
        if processing.width < 8 || processing.height < 8 || processing.steps < 1 {
            return A1111Service.pythonError("RuntimeError", "cannot sample \(processing.width)x\(processing.height) in \(processing.steps) steps: the latent is empty")
        }
        let (pixels, overflow) = processing.width.multipliedReportingOverflow(by: processing.height)
        let (total, overflowTotal) = pixels.multipliedReportingOverflow(by: processing.imageCount)
        if overflow || overflowTotal || total > memoryPixels {
            let mebibytes = overflow || overflowTotal ? Int.max / (1 << 20) : total * 4 / (1 << 20)
            return A1111Service.pythonError("OutOfMemoryError", "CUDA out of memory. Tried to allocate \(mebibytes) MiB")
        }
        return nil
    }

    /// FNV-1a over bytes, continuing from `hash`.
    static func mix(_ hash: UInt64, _ bytes: [UInt8]) -> UInt64 {
        var value = hash
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01B3
        }
        return value
    }
}
