import Imaging
import Testing

struct RGBAImageTests {
    @Test func aNewImageIsFilledWithItsColourInRGBAOrder() {
        let image = RGBAImage(width: 3, height: 2, fill: (1, 2, 3, 4))
        #expect(image.pixels == Array(repeating: [1, 2, 3, 4] as [UInt8], count: 6).flatMap { $0 })
        #expect(RGBAImage(width: 1, height: 1).pixels == [0, 0, 0, 255])
    }

    @Test func fillingARowSetsExactlyThoseColumns() {
        var image = RGBAImage(width: 4, height: 3, fill: (0, 0, 0, 0))
        image.fill(row: 1, columns: 1..<3, with: RGBAImage.word(9, 8, 7, 6))
        image.fill(row: 2, columns: 0..<0, with: RGBAImage.word(5, 5, 5, 5))
        for y in 0..<3 {
            for x in 0..<4 {
                let pixel = Array(image.pixels[(y * 4 + x) * 4..<(y * 4 + x) * 4 + 4])
                let inside = y == 1 && (1..<3).contains(x)
                #expect(pixel == (inside ? [9, 8, 7, 6] : [0, 0, 0, 0]), "pixel \(x),\(y)")
            }
        }
    }

    @Test func aWordHoldsThePixelsBytesInMemoryOrder() {
        var word = RGBAImage.word(0x11, 0x22, 0x33, 0x44)
        let bytes = withUnsafeBytes(of: &word) { Array($0) }
        #expect(bytes == [0x11, 0x22, 0x33, 0x44])
    }

    @Test func imagesShrinkByAveragingKeepTheirShapeAndNeverGrow() throws {
        let rgb: [[UInt8]] = [[0, 0, 0], [100, 100, 100], [200, 0, 0], [200, 0, 0], [0, 0, 0], [100, 100, 100], [0, 0, 200], [0, 0, 200]]
        let image = try RGBAImage(width: 4, height: 2, pixels: rgb.flatMap { $0 + [255] })
        let half = image.shrunk(toWidth: 2, height: .max)
        #expect(half == (try RGBAImage(width: 2, height: 1, pixels: [50, 50, 50, 255, 100, 0, 100, 255])))
        #expect(image.shrunk(toWidth: 40, height: 40) == image)
        #expect(image.shrunk(toFit: 4) == image)
        let tall = RGBAImage(width: 512, height: 1024, fill: (1, 2, 3, 255))
        #expect((tall.shrunk(toWidth: 100, height: .max).width, tall.shrunk(toWidth: 100, height: .max).height) == (100, 200))
        let boxed = tall.shrunk(toFit: 256)
        #expect((boxed.width, boxed.height) == (128, 256), "the longer side fits the box")
        #expect(boxed.pixels.prefix(4) == [1, 2, 3, 255])
        let wide = RGBAImage(width: 1000, height: 10, fill: (0, 0, 0, 255)).shrunk(toFit: 256)
        #expect((wide.width, wide.height) == (256, 3))
    }
}
