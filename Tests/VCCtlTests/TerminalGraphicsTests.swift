import CommandLineKit
import Imaging
import Posix
import Testing
import TestSupport
@testable import VCCtl

/// The pieces of `vcctl show`: kitty and sixel encoders, decoded PNGs as
/// previews, and how a protocol is picked.
@Suite struct TerminalGraphicsTests {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    // MARK: Kitty

    @Test func kittyChunksThePNGAt4096Base64Bytes() throws {
        var random = UInt64(7)
        let png = Self.pngSignature + (0..<10_000).map { _ -> UInt8 in
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: random >> 33)
        }
        let output = KittyGraphics.encode(png: png, columns: 40)
        let escapes = try Self.escapes(output)
        #expect(escapes.count == 4, "13 336 base64 bytes make 4 chunks")
        let first = escapes[0].control.split(separator: ",").map(String.init)
        #expect(first.contains("a=T") && first.contains("f=100") && first.contains("c=40") && first.contains("q=2"))
        for (index, escape) in escapes.enumerated() {
            let last = index == escapes.count - 1
            #expect(escape.control.hasSuffix(last ? "m=0" : "m=1"))
            if index > 0 { #expect(escape.control == (last ? "m=0" : "m=1"), "only the first chunk has keys") }
            #expect(last ? escape.payload.count <= 4096 : escape.payload.count == 4096)
        }
        #expect(try decodeBase64(escapes.map(\.payload).joined()) == png)
    }

    @Test func aSmallPNGIsOneEscape() throws {
        let output = KittyGraphics.encode(png: Self.pngSignature)
        #expect(output == "\u{1B}_Ga=T,f=100,q=2,m=0;iVBORw0KGgo=\u{1B}\\")
    }

    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64MatchesRFC4648(text: String, encoded: String) throws {
        #expect(KittyGraphics.base64(Array(text.utf8)) == encoded)
        #expect(try decodeBase64(encoded) == Array(text.utf8))
    }

    // MARK: Sixel

    @Test func aSolidBandIsOneRun() {
        let red = PreviewImage(width: 10, height: 6, red: 255, green: 0, blue: 0)
        #expect(SixelEncoder.encode(red) == "\u{1B}Pq\"1;1;10;6#180;2;100;0;0#180!10~\u{1B}\\")
    }

    @Test func onePixel() {
        let white = PreviewImage(width: 1, height: 1, red: 255, green: 255, blue: 255)
        #expect(SixelEncoder.encode(white) == "\u{1B}Pq\"1;1;1;1#215;2;100;100;100#215@\u{1B}\\")
    }

    @Test func bandsAreSeparatedByDashesAndAShortLastBandHasFewerBits() {
        // 3x14: six rows red, six rows blue, two rows red.
        let rows: [[UInt8]] = Array(repeating: [255, 0, 0], count: 6) + Array(repeating: [0, 0, 255], count: 6)
            + Array(repeating: [255, 0, 0], count: 2)
        let image = PreviewImage(width: 3, height: 14, pixels: rows.flatMap { row in (0..<3).flatMap { _ in row } })
        #expect(SixelEncoder.encode(image) == "\u{1B}Pq\"1;1;3;14#5;2;0;0;100#180;2;100;0;0#180~~~-#5~~~-#180BBB\u{1B}\\")
    }

    @Test func coloursInABandAreJoinedWithDollarsAndRunsOfBlankColumnsAreEncoded() {
        // 9x6: five red columns, then four green ones.
        let pixels = (0..<6).flatMap { _ in (0..<9).flatMap { x -> [UInt8] in x < 5 ? [255, 0, 0] : [0, 255, 0] } }
        let image = PreviewImage(width: 9, height: 6, pixels: pixels)
        #expect(SixelEncoder.encode(image) == "\u{1B}Pq\"1;1;9;6#30;2;0;100;0#180;2;100;0;0#180!5~$#30!5?!4~\u{1B}\\")
    }

    @Test func pixelsOfOneColourInABandShareAColumnCharacter() {
        // 2x6: column 0 alternates black and white; column 1 is white.
        let pixels = (0..<6).flatMap { y -> [UInt8] in (y % 2 == 0 ? [0, 0, 0] : [255, 255, 255]) + [255, 255, 255] }
        let output = SixelEncoder.encode(PreviewImage(width: 2, height: 6, pixels: pixels))
        // Black: rows 0, 2, 4 (mask 0b010101 = 21, "T"); white: rows 1, 3, 5 (42, "i") then all.
        #expect(output == "\u{1B}Pq\"1;1;2;6#0;2;0;0;0#215;2;100;100;100#0T$#215i~\u{1B}\\")
    }

    @Test func thePaletteIsACubeAndGreys() {
        #expect(SixelEncoder.register(red: 0, green: 0, blue: 0) == 0)
        #expect(SixelEncoder.register(red: 255, green: 0, blue: 0) == 180)
        #expect(SixelEncoder.register(red: 0, green: 255, blue: 0) == 30)
        #expect(SixelEncoder.register(red: 255, green: 255, blue: 255) == 215)
        #expect(SixelEncoder.register(red: 128, green: 128, blue: 128) == 228, "a mid grey is nearer the grey ramp")
        #expect(SixelEncoder.colour(register: 228) == (128, 128, 128))
        #expect(SixelEncoder.register(red: 110, green: 160, blue: 40) == 2 * 36 + 3 * 6 + 1)
        for register in 0..<SixelEncoder.paletteSize {
            let colour = SixelEncoder.colour(register: register)
            #expect(SixelEncoder.register(red: colour.red, green: colour.green, blue: colour.blue) == register)
        }
    }

    // MARK: Decoded PNGs (libpng) as previews: every pixel, transparency over black

    @Test func decodesRGBWithEveryFilter() throws {
        let image = try Self.preview(Fixtures.rgbGradient)
        #expect((image.width, image.height) == (7, 5))
        for y in 0..<5 {
            for x in 0..<7 {
                #expect(image.pixel(x: x, y: y) == (UInt8(x * 36), UInt8(y * 60), UInt8(x * y * 9 % 256)), "(\(x), \(y))")
            }
        }
    }

    @Test func decodesInterlaced16BitRGBAOverBlack() throws {
        let image = try Self.preview(Fixtures.rgba16Interlaced)
        #expect((image.width, image.height) == (7, 5))
        for y in 0..<5 {
            for x in 0..<7 {
                let expected: (UInt8, UInt8, UInt8) = (x + y) % 2 == 0 ? (UInt8((x * 9000) >> 8), UInt8((y * 12000) >> 8), 255) : (0, 0, 0)
                #expect(image.pixel(x: x, y: y) == expected, "(\(x), \(y))")
            }
        }
    }

    @Test func decodesTwoBitPalettesWithTransparency() throws {
        let image = try Self.preview(Fixtures.palette2Bit)
        let colours: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 0)]
        for y in 0..<5 {
            for x in 0..<7 {
                #expect(image.pixel(x: x, y: y) == colours[(x + y) % 4], "(\(x), \(y))")
            }
        }
    }

    @Test func decodesInterlacedOneBitGreyInStoredBlocks() throws {
        let image = try Self.preview(Fixtures.grey1BitStored)
        #expect((image.width, image.height) == (9, 9))
        for y in 0..<9 {
            for x in 0..<9 {
                let level: UInt8 = (x ^ y) & 1 == 1 ? 255 : 0
                #expect(image.pixel(x: x, y: y) == (level, level, level), "(\(x), \(y))")
            }
        }
    }

    static func preview(_ bytes: [UInt8]) throws -> PreviewImage {
        PreviewImage(try PNGCodec.decode(bytes).image)
    }

    // MARK: Picking a protocol

    /// Picks with `environment`; returns the choice and how often the
    /// terminal was asked.
    func choose(_ environment: [String: String], requested: String = "auto", terminal: Bool = true, answer: String? = nil)
        -> (TerminalGraphics, queries: Int)
    {
        var queries = 0
        let choice = TerminalGraphics.choose(requested: requested, isTerminal: terminal, environment: Environment(environment)) {
            queries += 1
            return answer
        }
        return (choice, queries)
    }

    @Test func anExplicitChoiceIsUsedEvenOffATerminal() {
        for name in ["kitty", "sixel", "none"] {
            let (choice, queries) = choose(["TERM": "dumb"], requested: name, terminal: false)
            #expect(choice.rawValue == name)
            #expect(queries == 0)
        }
        #expect(TerminalGraphics.choices == ["auto", "kitty", "sixel", "none"])
    }

    @Test func autoOffATerminalPrintsPaths() {
        let (choice, queries) = choose(["TERM": "xterm-kitty"], terminal: false, answer: "\u{1B}[?62;4c")
        #expect(choice == .none)
        #expect(queries == 0)
    }

    @Test(arguments: [
        ["TERM": "xterm-kitty"], ["TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"], ["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"],
        ["TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"], ["TERM_PROGRAM": "ghostty"],
    ])
    func kittyTerminalsAreKnownByTheirEnvironment(environment: [String: String]) {
        let (choice, queries) = choose(environment)
        #expect(choice == .kitty)
        #expect(queries == 0, "no query when the environment tells")
    }

    @Test func insideTmuxTheOuterTerminalDoesNotCount() {
        let (choice, queries) = choose(["TERM": "tmux-256color", "KITTY_WINDOW_ID": "3", "TMUX": "/tmp/tmux-0/default,1,0"], answer: "\u{1B}[?1;2;4c")
        #expect(choice == .sixel)
        #expect(queries == 1)
        #expect(choose(["TERM": "screen", "STY": "1.pts"], answer: "\u{1B}[?1;2c").0 == .none)
    }

    @Test func dumbTerminalsAreNotAsked() {
        for environment in [["TERM": "dumb"], [:]] {
            let (choice, queries) = choose(environment, answer: "\u{1B}[?62;4c")
            #expect(choice == .none)
            #expect(queries == 0)
        }
    }

    @Test(arguments: [
        ("\u{1B}[?62;4;22c", TerminalGraphics.sixel), ("\u{1B}[?4c", .sixel), ("typed\u{1B}[?63;1;4c", .sixel), ("\u{1B}[?62;22c", .none),
        ("\u{1B}[?64;1;2;6;9;15;16;17;18;21;22;28c", .none), ("\u{1B}[?14;44c", .none), ("\u{1B}[?62;4", .none), ("", .none),
    ])
    func sixelIsAttribute4OfTheDeviceAttributes(answer: String, expected: TerminalGraphics) {
        let (choice, queries) = choose(["TERM": "xterm-256color"], answer: answer)
        #expect(choice == expected)
        #expect(queries == 1)
    }

    @Test func noAnswerMeansNoGraphics() {
        #expect(choose(["TERM": "xterm"], answer: nil).0 == .none)
        #expect(TerminalGraphics.parameters(deviceAttributes: "\u{1B}[?1;2c") == [1, 2])
        #expect(TerminalGraphics.parameters(deviceAttributes: "\u{1B}[c") == nil)
    }

    // MARK: Helpers

    /// The APC escapes of kitty output: control keys and payload.
    static func escapes(_ output: String) throws -> [(control: String, payload: String)] {
        let parts = output.split(separator: "\u{1B}\\", omittingEmptySubsequences: false)
        #expect(parts.last == "", "ends with ESC \\")
        return try parts.dropLast().map { part in
            guard part.hasPrefix("\u{1B}_G"), let semicolon = part.firstIndex(of: ";") else {
                throw TestFailure("not a kitty escape: \(part.prefix(40))")
            }
            return (String(part[part.index(part.startIndex, offsetBy: 3)..<semicolon]), String(part[part.index(after: semicolon)...]))
        }
    }
}

/// Test images made with Python's zlib (filters cycle through 0 to 4 by row).
enum Fixtures {
    /// 7x5 RGB, 8 bits: (x * 36, y * 60, x * y * 9 % 256).
    static let rgbGradient: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x08, 0x02, 0x00, 0x00, 0x00, 0x06, 0xF8, 0x61,
        0x8F, 0x00, 0x00, 0x00, 0x03, 0x74, 0x45, 0x58, 0x74, 0x6B, 0x00, 0x76, 0xCB, 0x04, 0xF3, 0x90,
        0x00, 0x00, 0x00, 0x56, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x5D, 0x8D, 0xAD, 0x0D, 0x80, 0x40,
        0x18, 0xC5, 0xCA, 0x8F, 0x39, 0xFB, 0x0C, 0xE2, 0x92, 0x2F, 0x88, 0x33, 0x08, 0x2C, 0xEA, 0x0D,
        0xC0, 0x30, 0x0C, 0xC0, 0x18, 0x0C, 0xC3, 0x30, 0x8C, 0xC3, 0x1D, 0x92, 0xA4, 0xAA, 0x69, 0x52,
        0x80, 0x02, 0x3B, 0x1C, 0x70, 0xC1, 0x0D, 0x0F, 0x74, 0xB8, 0xDA, 0xF4, 0xA3, 0xAF, 0x16, 0x27,
        0x2C, 0x9C, 0x71, 0xC1, 0x2B, 0xDE, 0x06, 0x4E, 0x14, 0x52, 0x4C, 0x8A, 0xAC, 0x98, 0x15, 0x45,
        0xB1, 0x8C, 0xAD, 0x25, 0x81, 0x20, 0x7F, 0x8B, 0xC6, 0x0B, 0x55, 0xF1, 0x09, 0xD1, 0x6A, 0x8B,
        0xC8, 0x69, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
    /// 7x5 RGBA, 16 bits, Adam7: (x * 9000, y * 12000, 65535), opaque where x + y is even, else clear.
    static let rgba16Interlaced: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x10, 0x06, 0x00, 0x00, 0x01, 0xAE, 0x0D, 0x1A,
        0x0D, 0x00, 0x00, 0x00, 0x03, 0x74, 0x45, 0x58, 0x74, 0x6B, 0x00, 0x76, 0xCB, 0x04, 0xF3, 0x90,
        0x00, 0x00, 0x00, 0x83, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x85, 0x8F, 0xB1, 0x15, 0x02, 0x21,
        0x10, 0x44, 0x67, 0x6D, 0x85, 0x84, 0xC8, 0x32, 0x88, 0x69, 0x40, 0xF3, 0xEB, 0xE0, 0x42, 0x0B,
        0xA0, 0x08, 0x3A, 0xB8, 0x02, 0x4C, 0x2E, 0xBC, 0x98, 0x0A, 0x2C, 0x81, 0x0E, 0x94, 0xF5, 0x4B,
        0x62, 0x72, 0x93, 0xFC, 0x19, 0xD8, 0x79, 0xFB, 0x56, 0x1A, 0x7A, 0x0F, 0xA9, 0xD4, 0x9F, 0x91,
        0x9E, 0x0F, 0x37, 0xA5, 0x42, 0xA5, 0xCC, 0x4F, 0xEB, 0xD0, 0x52, 0x9E, 0x13, 0x9A, 0xBA, 0xED,
        0xFE, 0x90, 0x32, 0x2C, 0x15, 0xB6, 0x0E, 0x15, 0xA2, 0x57, 0xA5, 0x65, 0x85, 0xDB, 0x01, 0x2D,
        0x44, 0x9F, 0xD0, 0x77, 0x87, 0x6B, 0xF2, 0x22, 0xDD, 0x77, 0xEC, 0x3F, 0x75, 0x7D, 0x79, 0x23,
        0x44, 0xA7, 0xEF, 0x24, 0x2F, 0x2B, 0xB9, 0x54, 0xF2, 0x76, 0x90, 0x5B, 0x27, 0x9B, 0xC6, 0x89,
        0x14, 0xB9, 0x19, 0x9A, 0x9D, 0xE5, 0x0F, 0xF3, 0x80, 0x7A, 0xDF, 0x05, 0x0C, 0x87, 0x51, 0x00,
        0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
    /// 7x5, 2-bit palette (red, green, blue, clear orange): index (x + y) % 4.
    static let palette2Bit: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x02, 0x03, 0x00, 0x00, 0x00, 0xF4, 0xF4, 0x1E,
        0x4B, 0x00, 0x00, 0x00, 0x0C, 0x50, 0x4C, 0x54, 0x45, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00,
        0x00, 0xFF, 0xC8, 0x64, 0x32, 0xAD, 0x44, 0x7E, 0x3F, 0x00, 0x00, 0x00, 0x04, 0x74, 0x52, 0x4E,
        0x53, 0xFF, 0xFF, 0xFF, 0x00, 0x40, 0x2A, 0xA9, 0xF4, 0x00, 0x00, 0x00, 0x03, 0x74, 0x45, 0x58,
        0x74, 0x6B, 0x00, 0x76, 0xCB, 0x04, 0xF3, 0x90, 0x00, 0x00, 0x00, 0x17, 0x49, 0x44, 0x41, 0x54,
        0x78, 0xDA, 0x63, 0x90, 0x96, 0x60, 0xCC, 0x61, 0x60, 0x72, 0x75, 0x61, 0xCE, 0xE3, 0x64, 0x09,
        0xFD, 0x0B, 0x00, 0x0F, 0x96, 0x02, 0xFC, 0xC8, 0xE5, 0x3D, 0x3D, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
    /// 9x9 grey, 1 bit, Adam7, stored (uncompressed) blocks: (x ^ y) & 1.
    static let grey1BitStored: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00, 0x01, 0xBF, 0xED, 0x0B,
        0x2B, 0x00, 0x00, 0x00, 0x03, 0x74, 0x45, 0x58, 0x74, 0x6B, 0x00, 0x76, 0xCB, 0x04, 0xF3, 0x90,
        0x00, 0x00, 0x00, 0x35, 0x49, 0x44, 0x41, 0x54, 0x78, 0x01, 0x01, 0x2A, 0x00, 0xD5, 0xFF, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0xF0, 0x01, 0xF0, 0x02, 0x00, 0x03, 0x78, 0x04, 0x00, 0x00, 0xAA, 0x80,
        0x01, 0xAA, 0xD6, 0x02, 0x00, 0x00, 0x03, 0x55, 0xEB, 0x47, 0x37, 0x06, 0x59, 0x29, 0x8F, 0x6E,
        0x6D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}
