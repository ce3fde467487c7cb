/// Sixel graphics (DEC's, spoken by xterm -ti vt340, foot, mlterm, WezTerm,
/// Windows Terminal, iTerm2, tmux with sixel support): an image in a DCS
/// string, six pixel rows at a time.
///
/// The output is `ESC P q`, raster attributes `"1;1;W;H` (square pixels,
/// the size), a colour register `#N;2;R;G;B` (percentages) for each palette
/// entry the image uses, then bands of six rows separated by `-`. In a band,
/// each colour is `#N` and one character per column (`?` + a 6-bit mask,
/// top pixel lowest), runs of four or more as `!COUNT` and the character;
/// `$` returns to the band's start for the next colour. `ESC \` ends it.
///
/// Colours are quantized to a fixed palette of 240 registers: a 6x6x6 cube
/// (registers 0 to 215, levels 0, 51, ..., 255, register `36r + 6g + b`)
/// and 24 greys (216 to 239, levels 8, 18, ..., 238, as xterm's 256 colours).
enum SixelEncoder {
    /// Registers in the palette.
    static let paletteSize = 240

    /// The palette register nearest to a colour (by squared distance; a tie
    /// goes to the cube).
    static func register(red: UInt8, green: UInt8, blue: UInt8) -> Int {
        let (r, g, b) = (Int(red), Int(green), Int(blue))
        let (cubeRed, cubeGreen, cubeBlue) = ((r + 25) / 51, (g + 25) / 51, (b + 25) / 51)
        let cubeDistance = square(cubeRed * 51 - r) + square(cubeGreen * 51 - g) + square(cubeBlue * 51 - b)
        let greyStep = min(23, max(0, ((r + g + b) / 3 - 8 + 5) / 10))
        let grey = 8 + greyStep * 10
        let greyDistance = square(grey - r) + square(grey - g) + square(grey - b)
        return greyDistance < cubeDistance ? 216 + greyStep : cubeRed * 36 + cubeGreen * 6 + cubeBlue
    }

    /// A register's colour.
    static func colour(register: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        if register >= 216 {
            let level = UInt8(8 + (register - 216) * 10)
            return (level, level, level)
        }
        return (UInt8(register / 36 * 51), UInt8(register / 6 % 6 * 51), UInt8(register % 6 * 51))
    }

    /// The DCS string that draws `image` at the cursor. No newline is added.
    static func encode(_ image: PreviewImage) -> String {
        let (width, height) = (image.width, image.height)
        var registers = [UInt8](repeating: 0, count: width * height)
        var used = [Bool](repeating: false, count: paletteSize)
        for index in 0..<width * height {
            let register = register(red: image.pixels[index * 3], green: image.pixels[index * 3 + 1], blue: image.pixels[index * 3 + 2])
            registers[index] = UInt8(register)
            used[register] = true
        }
        var output: [UInt8] = []
        output.reserveCapacity(width * height / 2)
        output += Array("\u{1B}Pq\"1;1;\(width);\(height)".utf8)
        for register in 0..<paletteSize where used[register] {
            let (red, green, blue) = colour(register: register)
            output += Array("#\(register);2;\(percent(red));\(percent(green));\(percent(blue))".utf8)
        }
        // One band's six-pixel masks, per register and column.
        var masks = [UInt8](repeating: 0, count: paletteSize * width)
        var isInBand = [Bool](repeating: false, count: paletteSize)
        for top in stride(from: 0, to: height, by: 6) {
            // The band's registers in order of first use.
            var inBand: [Int] = []
            for row in 0..<min(6, height - top) {
                let bit = UInt8(1) << UInt8(row)
                let start = (top + row) * width
                for x in 0..<width {
                    let register = Int(registers[start + x])
                    if !isInBand[register] {
                        isInBand[register] = true
                        inBand.append(register)
                    }
                    masks[register * width + x] |= bit
                }
            }
            for (position, register) in inBand.enumerated() {
                if position > 0 { output.append(UInt8(ascii: "$")) }
                output += Array("#\(register)".utf8)
                let row = register * width
                var end = width
                while end > 0, masks[row + end - 1] == 0 { end -= 1 }
                var x = 0
                while x < end {
                    let mask = masks[row + x]
                    var run = 1
                    while x + run < end, masks[row + x + run] == mask { run += 1 }
                    let character = 63 + mask
                    if run >= 4 {
                        output += Array("!\(run)".utf8)
                        output.append(character)
                    } else {
                        output += repeatElement(character, count: run)
                    }
                    x += run
                }
                for column in 0..<width { masks[row + column] = 0 }
                isInBand[register] = false
            }
            if top + 6 < height { output.append(UInt8(ascii: "-")) }
        }
        output += [0x1B, UInt8(ascii: "\\")]
        return String(decoding: output, as: UTF8.self)
    }

    private static func percent(_ value: UInt8) -> Int {
        (Int(value) * 100 + 127) / 255
    }

    private static func square(_ value: Int) -> Int { value * value }
}
