@testable import Imaging
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes PNGs of every colour type with Python's zlib and struct (no
/// libpng), so decoding is checked against an independent encoder.
private let pythonPNGWriter = #"""
import struct, sys, zlib

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def png(width, height, depth, color, rows, extra=b"", interlace=0):
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

out = sys.argv[1]
# 2x2 gray 8-bit: 0, 85 / 170, 255
open(out + "/gray8.png", "wb").write(png(2, 2, 8, 0, [bytes([0, 85]), bytes([170, 255])]))
# 2x1 gray+alpha 8-bit
open(out + "/grayalpha.png", "wb").write(png(2, 1, 8, 4, [bytes([10, 20, 30, 40])]))
# 1x1 RGB 16-bit: (0x1234, 0x5678, 0x9abc) -> high bytes 0x12 0x56 0x9a
open(out + "/rgb16.png", "wb").write(png(1, 1, 16, 2, [bytes([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc])]))
# 2x1 palette with transparency on index 1
palette = chunk(b"PLTE", bytes([255, 0, 0, 0, 0, 255])) + chunk(b"tRNS", bytes([255, 0]))
open(out + "/palette.png", "wb").write(png(2, 1, 8, 3, [bytes([0, 1])], extra=palette))
# 1x1 gray 1-bit (white)
open(out + "/gray1.png", "wb").write(png(1, 1, 1, 0, [bytes([0x80])]))
# a tEXt chunk in Latin-1 and a header claiming 100000 x 100000
latin = chunk(b"tEXt", b"Comment\x00caf\xe9")
open(out + "/latin1.png", "wb").write(png(1, 1, 8, 0, [bytes([7])], extra=latin))
open(out + "/huge.png", "wb").write(png(100000, 100000, 8, 0, [bytes([0])]))
"""#

@Suite struct PNGCodecTests {
    func gradient(width: Int, height: Int) -> RGBAImage {
        var image = RGBAImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y] = (UInt8(x % 256), UInt8(y % 256), UInt8((x + y) % 256), UInt8(255 - x % 256))
            }
        }
        return image
    }

    @Test func roundTripKeepsEveryPixelAndTheText() throws {
        let image = gradient(width: 37, height: 23)
        let text = [
            PNGCodec.TextChunk(keyword: "parameters", text: "a lighthouse\nNegative prompt: fog\nSteps: 30, Sampler: Euler"),
            PNGCodec.TextChunk(keyword: "Comment", text: "naïve café 🌊"),
        ]
        let bytes = try PNGCodec.encode(image, text: text)
        #expect(PNGCodec.hasSignature(bytes))
        let (decoded, chunks) = try PNGCodec.decode(bytes)
        #expect(decoded == image)
        #expect(chunks == text)
    }

    @Test(arguments: [0, 1, 6, 9])
    func everyCompressionLevelDecodes(level: Int) throws {
        let image = gradient(width: 64, height: 64)
        let bytes = try PNGCodec.encode(image, options: .init(compressionLevel: level))
        #expect(try PNGCodec.decode(bytes).image == image)
    }

    @Test func unfilteredRowsDecodeToTheSamePixels() throws {
        let image = gradient(width: 64, height: 64)
        let bytes = try PNGCodec.encode(image, options: .init(compressionLevel: 1, filters: PNGCodec.Options.noFilter))
        #expect(try PNGCodec.decode(bytes).image == image)
    }

    @Test func flatImagesCompressSmall() throws {
        let flat = try PNGCodec.encode(RGBAImage(width: 512, height: 512, fill: (10, 20, 30, 255)))
        #expect(flat.count < 10_000, "\(flat.count) bytes")
    }

    @Test func decodesEveryColourTypeFromAnIndependentEncoder() async throws {
        guard let python = ProcessEnvironment.findExecutable(named: "python3") else {
            Issue.record("python3 is not installed: this test needs it (.ci/install-packages --tests installs it)")
            return
        }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await offPool { try runProcess(python, ["-c", pythonPNGWriter, folder.path]) }
        try #require(output.status == 0, "\(output.standardError)")
        func load(_ name: String) throws -> (image: RGBAImage, text: [PNGCodec.TextChunk]) {
            try PNGCodec.decode(try FileSystem.readFile(folder.file(name)))
        }
        let gray = try load("gray8.png").image
        #expect(gray.width == 2 && gray.height == 2)
        #expect(gray[0, 0] == (0, 0, 0, 255) && gray[1, 0] == (85, 85, 85, 255) && gray[1, 1] == (255, 255, 255, 255))
        let grayAlpha = try load("grayalpha.png").image
        #expect(grayAlpha[0, 0] == (10, 10, 10, 20) && grayAlpha[1, 0] == (30, 30, 30, 40))
        #expect(try load("rgb16.png").image[0, 0] == (0x12, 0x56, 0x9A, 255))
        let palette = try load("palette.png").image
        #expect(palette[0, 0] == (255, 0, 0, 255) && palette[1, 0] == (0, 0, 255, 0))
        #expect(try load("gray1.png").image[0, 0] == (255, 255, 255, 255))
        #expect(try load("latin1.png").text == [PNGCodec.TextChunk(keyword: "Comment", text: "café")])
        #expect(throws: ImagingError.self) { _ = try load("huge.png") }
    }

    @Test func badInputIsAnErrorNotACrash() throws {
        let good = try PNGCodec.encode(gradient(width: 8, height: 8))
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode([]) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(Array("GIF89a".utf8)) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(Array(good.prefix(good.count / 2))) }
        var corrupted = good
        corrupted[40] ^= 0xFF  // inside IHDR or IDAT: a CRC or zlib failure
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(corrupted) }
        // libpng's own reason reaches the caller.
        var damagedData = good
        damagedData[good.count / 2] ^= 0x5A
        #expect {
            _ = try PNGCodec.decode(damagedData)
        } throws: { error in
            "\(error)".hasPrefix("not a usable PNG: IDAT: ")
        }
        // Every truncation fails cleanly.
        for length in stride(from: 0, to: good.count, by: 7) {
            _ = try? PNGCodec.decode(Array(good.prefix(length)))
        }
    }

    @Test func limitsRefuseLargeImages() throws {
        let bytes = try PNGCodec.encode(gradient(width: 100, height: 10))
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(bytes, limits: .init(maximumSide: 50)) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.decode(bytes, limits: .init(maximumPixels: 999)) }
        #expect(try PNGCodec.decode(bytes, limits: .init(maximumSide: 100, maximumPixels: 1000)).image.width == 100)
    }

    @Test func badEncoderInputIsRefused() throws {
        let image = gradient(width: 2, height: 2)
        #expect(throws: ImagingError.self) { _ = try PNGCodec.encode(image, text: [.init(keyword: "", text: "x")]) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.encode(image, text: [.init(keyword: String(repeating: "k", count: 80), text: "x")]) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.encode(image, text: [.init(keyword: "naïve", text: "x")]) }
        #expect(throws: ImagingError.self) { _ = try PNGCodec.encode(image, options: .init(compressionLevel: 10)) }
        #expect(throws: ImagingError.self) { _ = try RGBAImage(width: 2, height: 2, pixels: [1, 2, 3]) }
    }
}

@Suite struct PNGTextInsertionTests {
    @Test func aStampedChunkIsReadBackAndThePixelsAreUntouched() throws {
        var image = RGBAImage(width: 3, height: 2)
        image.pixels[0] = 200
        let original = try PNGCodec.encode(image, text: [.init(keyword: "Software", text: "test")])
        let stamped = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: "a lighthouse\nSteps: 30"), into: original)
        let decoded = try PNGCodec.decode(stamped)
        #expect(decoded.image == image)
        #expect(decoded.text.contains(.init(keyword: "parameters", text: "a lighthouse\nSteps: 30")))
        #expect(decoded.text.contains(.init(keyword: "Software", text: "test")))
        #expect(stamped[37..<41].elementsEqual(Array("tEXt".utf8)), "ASCII goes in tEXt, right after IHDR")
    }

    /// An image that already says its parameters (AUTOMATIC1111 writes
    /// them) keeps one `parameters` chunk, the stamped one: readers take
    /// one or the other, and PIL the last.
    @Test func aChunkUnderTheSameKeywordIsReplaced() throws {
        let original = try PNGCodec.encode(
            RGBAImage(width: 2, height: 2), text: [.init(keyword: "parameters", text: "from the server"), .init(keyword: "Software", text: "sd")]
        )
        let stamped = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: "from the server, Job: 01J"), into: original)
        let decoded = try PNGCodec.decode(stamped)
        #expect(decoded.text.filter { $0.keyword == "parameters" } == [.init(keyword: "parameters", text: "from the server, Job: 01J")])
        #expect(decoded.text.contains(.init(keyword: "Software", text: "sd")), "other text stays")
        let unicode = try PNGCodec.encode(RGBAImage(width: 1, height: 1), text: [.init(keyword: "parameters", text: "Kyōto")])
        let restamped = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: "plain"), into: unicode)
        #expect(try PNGCodec.decode(restamped).text == [.init(keyword: "parameters", text: "plain")], "an iTXt one too")
        #expect(try PNGCodec.verify(restamped) == (1, 1))
    }

    @Test func nonASCIITextGoesInUTF8() throws {
        let original = try PNGCodec.encode(RGBAImage(width: 1, height: 1))
        let stamped = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: "maison à Kyōto 🏯"), into: original)
        #expect(stamped[37..<41].elementsEqual(Array("iTXt".utf8)))
        #expect(try PNGCodec.decode(stamped).text == [.init(keyword: "parameters", text: "maison à Kyōto 🏯")])
    }

    @Test func checksumsMatchZlibs() {
        #expect(CRC32.checksum(Array("IEND".utf8)[...]) == 0xAE42_6082, "the IEND chunk's well-known CRC")
        #expect(CRC32.checksum(Array("123456789".utf8)[...]) == 0xCBF4_3926, "the CRC-32 check value")
    }

    @Test func whatIsNotAPNGIsRefused() throws {
        let png = try PNGCodec.encode(RGBAImage(width: 1, height: 1))
        #expect(throws: ImagingError.self) { _ = try PNGTextInsertion.inserting(.init(keyword: "k", text: "t"), into: Array("GIF89a".utf8)) }
        var corrupt = png
        corrupt[20] ^= 0xFF
        #expect(throws: ImagingError.self, "a damaged IHDR") { _ = try PNGTextInsertion.inserting(.init(keyword: "k", text: "t"), into: corrupt) }
        #expect(throws: ImagingError.self, "a bad keyword") { _ = try PNGTextInsertion.inserting(.init(keyword: "", text: "t"), into: png) }
    }
}

@Suite struct PNGStructureTests {
    @Test func aWholePNGPassesAndItsSizeIsReadWithoutDecoding() throws {
        let png = try PNGCodec.encode(RGBAImage(width: 30, height: 20), text: [.init(keyword: "Software", text: "test")])
        #expect(try PNGCodec.verify(png) == (30, 20))
        #expect(try PNGCodec.size(of: png) == (30, 20))
        let stamped = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: "p"), into: png)
        #expect(try PNGCodec.verify(stamped) == (30, 20))
    }

    @Test func damageAnywhereIsFoundAndNamed() throws {
        let png = try PNGCodec.encode(PNGCodecTests().gradient(width: 64, height: 64))
        var flipped = png
        flipped[png.count / 2] ^= 0x5A
        #expect(throws: ImagingError("not a usable PNG: chunk IDAT at byte 33 is damaged (CRC error)")) { try PNGCodec.verify(flipped) }
        #expect(try PNGCodec.size(of: flipped) == (64, 64), "the header alone is intact")
        #expect(throws: ImagingError.self) { try PNGCodec.verify(Array(png.prefix(png.count - 12))) }
        do {
            try PNGCodec.verify(Array(png.prefix(png.count / 2)))
            Issue.record("half a PNG passed")
        } catch {
            #expect(error.description.contains("past the end of the PNG"), "\(error)")
        }
        #expect(throws: ImagingError("not a usable PNG: not a PNG (bad signature)")) { try PNGCodec.verify(Array("GIF89a".utf8)) }
        #expect(throws: ImagingError.self) { try PNGCodec.verify([]) }
        // Every truncation is refused, none crashes.
        for length in 0..<png.count {
            #expect(throws: ImagingError.self) { try PNGCodec.verify(Array(png.prefix(length))) }
        }
        // No image data at all: signature, IHDR, IEND.
        let headerOnly = Array(png.prefix(33)) + Array(png.suffix(12))
        #expect(throws: ImagingError("not a usable PNG: the PNG has no image data (IDAT chunk)")) { try PNGCodec.verify(headerOnly) }
    }

    @Test func aFlatGreyPNGIsTinyAndStatesItsSize() throws {
        let bomb = try PNGCodec.flatGray(width: 4096, height: 4096)
        #expect(bomb.count < 20_000, "\(bomb.count) bytes for 16 Mpx")
        #expect(try PNGCodec.verify(bomb) == (4096, 4096))
        let small = try PNGCodec.decode(try PNGCodec.flatGray(width: 3, height: 2, level: 7))
        #expect(small.image == RGBAImage(width: 3, height: 2, fill: (7, 7, 7, 255)), "grey becomes opaque RGBA")
    }
}

@Suite struct PixelBufferTests {
    @Test func decodingIntoABufferGivesTheSamePixels() throws {
        let image = PNGCodecTests().gradient(width: 17, height: 9)
        let png = try PNGCodec.encode(image, text: [.init(keyword: "k", text: "v")])
        let decoded = try PNGCodec.decodePixels(png)
        #expect(decoded.pixels.width == 17 && decoded.pixels.height == 9 && decoded.pixels.stride == 68)
        #expect(decoded.pixels.byteCount == 17 * 9 * 4)
        #expect(decoded.pixels.image == image)
        #expect(decoded.text == [.init(keyword: "k", text: "v")])
        #expect(try PixelBuffer(copying: image).image == image)
    }

    @Test func aBufferIsEncodedStraightToAFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let image = PNGCodecTests().gradient(width: 300, height: 200)
        // A stride wider than the row: the padding never reaches the file.
        let stride = 300 * 4 + 16
        let memory = malloc(stride * 200)!.assumingMemoryBound(to: UInt8.self)
        memset(memory, 0xEE, stride * 200)
        image.pixels.withUnsafeBufferPointer { source in
            for row in 0..<200 { (memory + row * stride).update(from: source.baseAddress! + row * 1200, count: 1200) }
        }
        let buffer = PixelBuffer(adopting: memory, width: 300, height: 200, stride: stride)
        let path = folder.file("out.png")
        let file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC)
        try PNGCodec.encode(buffer, text: [.init(keyword: "parameters", text: "p")], options: .init(compressionLevel: 0), toDescriptor: file.rawValue)
        try file.close()
        let written = try FileSystem.readFile(path)
        #expect(written.count > 1 << 16, "several blocks of 64 KiB: \(written.count) bytes")
        #expect(try PNGCodec.decode(written).image == image)
        #expect(try PNGCodec.decode(written).text == [.init(keyword: "parameters", text: "p")])
        #expect(written == (try PNGCodec.encode(image, text: [.init(keyword: "parameters", text: "p")], options: .init(compressionLevel: 0))))
    }

    @Test(.enabled(if: (try? FileSystem.status("/dev/full"))?.flatMap({ $0 }) != nil, "needs /dev/full (Linux)"))
    func aFailedWriteIsAnErrorThatSaysWhy() throws {
        let buffer = try PixelBuffer(copying: RGBAImage(width: 200, height: 200))
        let full = try FileDescriptor.open("/dev/full", O_WRONLY)
        defer { try? full.close() }
        #expect(throws: ImagingError("PNG encoding failed: cannot write the PNG: No space left on device", isWriteFailure: true)) {
            try PNGCodec.encode(buffer, toDescriptor: full.rawValue)
        }
    }
}
