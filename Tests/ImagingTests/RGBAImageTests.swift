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
}
