import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// `vcctl show` against a real daemon on its embedded emulator: paths in a
/// pipe, kitty and sixel when asked or when the terminal speaks them.
@Suite struct ShowCommandTests {
    func startOnEmulator(faults: String? = nil) async throws -> DaemonProcess {
        let extra = faults.map { ["--emulator-faults", $0] } ?? []
        return try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"] + extra) }
    }

    /// Runs vcctl against `daemon` (its folder as HOME).
    func run(_ daemon: DaemonProcess, _ arguments: [String]) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder)
    }

    /// Submits a job, waits for it, and returns its id and image paths.
    func submit(_ daemon: DaemonProcess, count: Int) async throws -> (id: String, paths: [String]) {
        let submitted = try await run(daemon, ["submit", "a lighthouse at dusk", "-n", "\(count)", "--wait"])
        #expect(submitted.status == 0, "\(submitted.standardError)")
        let paths = submitted.standardOutput.split(separator: "\n").map(String.init)
        let list = try JSONParser.parse(try await run(daemon, ["--json", "list"]).standardOutput)
        let id = try #require(list.arrayValue?.first?["id"]?.stringValue)
        return (id, paths)
    }

    /// Runs vcctl under a pseudo-terminal (util-linux `script`) with `TERM`,
    /// typing `typed` (a terminal's answer) ahead.
    func onTerminal(_ daemon: DaemonProcess, _ arguments: [String], term: String, typed: String? = nil, noColor: Bool = false) async throws -> String {
        let command = ([try BuiltProducts.path("vcctl"), "--socket", daemon.socketPath, "--no-start"] + arguments)
            .map { "'\($0)'" }.joined(separator: " ")
        var environment = isolatedEnvironment(in: daemon.folder)
        for name in ["KITTY_WINDOW_ID", "TERM_PROGRAM", "TMUX", "STY", "NO_COLOR"] { environment.removeValue(forKey: name) }
        environment["TERM"] = term
        if noColor { environment["NO_COLOR"] = "1" }
        let shellEnvironment = environment
        let output = try await offPool {
            try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], environment: shellEnvironment, input: typed ?? "")
        }
        // The terminal turns "\n" into "\r\n".
        return output.standardOutput.replacing("\r\n", with: "\n")
    }

    @Test func aPipeGetsThePathsAndNoEscapes() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let (id, paths) = try await submit(daemon, count: 2)
        #expect(paths.count == 2)
        let shown = try await run(daemon, ["show", id])
        #expect(shown.status == 0, "\(shown.standardError)")
        #expect(shown.standardOutput == paths.map { $0 + "\n" }.joined())
        #expect(!shown.standardOutput.contains("\u{1B}"))
        #expect(shown.standardError.isEmpty)

        let none = try await run(daemon, ["show", "--protocol", "none", "--width", "20", id])
        #expect(none.standardOutput == shown.standardOutput)

        let json = try await run(daemon, ["--json", "show", id, "--protocol", "kitty"])
        #expect(json.status == 0)
        #expect(!json.standardOutput.contains("\u{1B}"), "--json prints no previews")
        let value = try JSONParser.parse(json.standardOutput)
        #expect(value["id"]?.stringValue == id)
        #expect(value["images"]?.arrayValue?.compactMap(\.stringValue) == paths)

        let unknown = try await run(daemon, ["show", "01JD0000000000000000000000"])
        #expect(unknown.status == 1)
        #expect(unknown.standardOutput.isEmpty)
        #expect(unknown.standardError.contains("job_not_found"))
        for bad in [["--protocol", "bogus"], ["--width", "0"], ["--width", "wide"]] {
            let usage = try await run(daemon, ["show", id] + bad)
            #expect(usage.status == 64, "\(bad)")
            #expect(usage.standardOutput.isEmpty)
        }
    }

    @Test func kittySendsTheFileInChunksThenItsPath() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let (id, paths) = try await submit(daemon, count: 2)
        let shown = try await run(daemon, ["show", "--protocol", "kitty", "--width", "30", id])
        #expect(shown.status == 0, "\(shown.standardError)")
        let output = shown.standardOutput
        #expect(output.hasPrefix("\u{1B}_Ga=T,f=100,"))
        // Each image: its escapes, a newline, its path.
        let lines = output.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "\(lines)")
        for (index, path) in paths.enumerated() {
            #expect(lines[index * 2 + 1] == path)
            let escapes = lines[index * 2].split(separator: "\u{1B}\\").map(String.init)
            #expect(escapes.count > 1, "a 512x512 PNG takes several chunks")
            #expect(escapes[0].contains(",c=30,"))
            var payload = ""
            for (number, escape) in escapes.enumerated() {
                let parts = escape.split(separator: ";", maxSplits: 1).map(String.init)
                #expect(parts.count == 2 && parts[0].hasPrefix("\u{1B}_G"))
                #expect(parts[0].hasSuffix(number == escapes.count - 1 ? "m=0" : "m=1"))
                payload += parts.count == 2 ? parts[1] : ""
            }
            #expect(try decodeBase64(payload) == FileSystem.readFile(path), "the payload is the file")
        }
    }

    @Test func sixelDrawsTheDecodedImageInTheFixedPalette() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let (id, paths) = try await submit(daemon, count: 1)
        let path = try #require(paths.first)
        // 60 columns at 10 pixels: wider than the image, which keeps its size.
        let shown = try await run(daemon, ["show", "--protocol", "sixel", "--width", "60", id])
        #expect(shown.status == 0, "\(shown.standardError)")
        let output = shown.standardOutput
        #expect(output.hasPrefix("\u{1B}Pq"))
        #expect(output.hasSuffix("\u{1B}\\\n" + path + "\n"))
        let image = try PNGCodec.decode(try FileSystem.readFile(path)).image
        let drawn = try SixelImage(output)
        #expect((drawn.width, drawn.height) == (image.width, image.height))
        var wrong = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let offset = (y * image.width + x) * 4
                let expected = Self.register(image.pixels[offset], image.pixels[offset + 1], image.pixels[offset + 2])
                if drawn.registers[y * drawn.width + x] != expected { wrong += 1 }
            }
        }
        #expect(wrong == 0, "every pixel as libpng decodes it, in its nearest register")

        let small = try await run(daemon, ["show", "--protocol", "sixel", "--width", "8", id])
        #expect(try SixelImage(small.standardOutput).width == 80, "8 columns of 10 pixels")
    }

    @Test func missingAndDamagedFilesKeepTheirPaths() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let (id, paths) = try await submit(daemon, count: 3)
        #expect(try FileSystem.removeFile(paths[0]))
        try FileSystem.writeFileAtomically(paths[1], Array("not an image".utf8), permissions: 0o644)
        for name in ["kitty", "sixel"] {
            let shown = try await run(daemon, ["show", "--protocol", name, id])
            #expect(shown.status == 0, "\(shown.standardError)")
            let notes = shown.standardError.split(separator: "\n")
            #expect(notes.count == 2)
            #expect(notes.first?.hasPrefix("no preview of \(paths[0]): ") == true)
            #expect(notes.last == "no preview of \(paths[1]): not a PNG file")
            #expect(shown.standardOutput.hasPrefix(paths[0] + "\n" + paths[1] + "\n\u{1B}"), "\(name): paths, then the one preview")
            #expect(shown.standardOutput.hasSuffix("\u{1B}\\\n" + paths[2] + "\n"))
        }
    }

    @Test func aJobWithoutImagesYetFails() async throws {
        let daemon = try await startOnEmulator(faults: #"{"latency_ms":\#(2000 * TestTime.scale)}"#)
        defer { daemon.cleanUp() }
        _ = try await run(daemon, ["models"])  // the lists are cached before the slow submit
        let id = try await run(daemon, ["submit", "a slow fox", "-n", "2"]).standardOutput.trimmingNewline
        let shown = try await run(daemon, ["show", id])
        #expect(shown.status == 1)
        #expect(shown.standardOutput.isEmpty)
        #expect(shown.standardError.contains("job \(id) has no saved images yet ("), "\(shown.standardError)")
        #expect(shown.standardError.contains(", 0/2)"))
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func onATerminalTheProtocolFollowsTheTerminal() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let (id, paths) = try await submit(daemon, count: 1)
        let path = try #require(paths.first)

        let kitty = try await onTerminal(daemon, ["show", id], term: "xterm-kitty")
        #expect(kitty.hasPrefix("\u{1B}_Ga=T,f=100,"), "\(kitty.prefix(80).debugDescription)")
        #expect(kitty.hasSuffix("\u{1B}\\\n" + path + "\n"))

        let dumb = try await onTerminal(daemon, ["show", id], term: "dumb")
        #expect(dumb == path + "\n", "\(dumb.debugDescription)")

        // An xterm that does not answer the query: paths after the timeout.
        let silent = try await onTerminal(daemon, ["show", id], term: "xterm")
        #expect(silent == "\u{1B}[c" + path + "\n", "the query, then the path: \(silent.debugDescription)")

        // One that answers with sixel (typed ahead into the terminal).
        let sixel = try await onTerminal(daemon, ["show", id], term: "xterm", typed: "\u{1B}[?62;4;22c")
        #expect(sixel.contains("\u{1B}[c\u{1B}Pq\"1;1;512;512#"), "\(sixel.prefix(80).debugDescription)")
        #expect(sixel.hasSuffix("\u{1B}\\\n" + path + "\n"))

        let asked = try await onTerminal(daemon, ["show", "--protocol", "none", id], term: "xterm-kitty")
        #expect(asked == path + "\n")

        let plain = try await onTerminal(daemon, ["show", id], term: "xterm", noColor: true)
        #expect(plain == path + "\n", "NO_COLOR: no query, no preview: \(plain.debugDescription)")
    }

    // MARK: Helpers

    /// The register `SixelEncoder` picks (VCCtl's palette: a 6x6x6 cube, then
    /// 24 greys from 8 to 238).
    static func register(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Int {
        let (r, g, b) = (Int(red), Int(green), Int(blue))
        let cube = (r: (r + 25) / 51, g: (g + 25) / 51, b: (b + 25) / 51)
        let cubeDistance = [(cube.r * 51 - r), (cube.g * 51 - g), (cube.b * 51 - b)].reduce(0) { $0 + $1 * $1 }
        let step = min(23, max(0, ((r + g + b) / 3 - 3) / 10))
        let greyDistance = [r, g, b].reduce(0) { $0 + (8 + step * 10 - $1) * (8 + step * 10 - $1) }
        return greyDistance < cubeDistance ? 216 + step : cube.r * 36 + cube.g * 6 + cube.b
    }
}

/// A sixel DCS string played back: the register drawn at each pixel (-1
/// where none is), checking the syntax on the way.
struct SixelImage {
    let width: Int
    let height: Int
    var registers: [Int]

    init(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.starts(with: Array("\u{1B}Pq\"".utf8)), let end = bytes.firstIndex(of: 0x1B, after: 1),
            end + 1 < bytes.count, bytes[end + 1] == UInt8(ascii: "\\")
        else { throw TestFailure("not one DCS sixel string: \(text.prefix(40).debugDescription)") }
        var index = 4
        func number() -> Int {
            var value = 0
            while index < end, (48...57).contains(bytes[index]) {
                value = value * 10 + Int(bytes[index] - 48)
                index += 1
            }
            return value
        }
        func skip(_ character: Character) throws {
            guard index < end, bytes[index] == character.asciiValue else { throw TestFailure("expected \(character) at \(index)") }
            index += 1
        }
        _ = number(); try skip(";"); _ = number(); try skip(";")
        width = number(); try skip(";")
        height = number()
        registers = [Int](repeating: -1, count: width * height)
        var defined = Set<Int>()
        var (register, x, top) = (-1, 0, 0)
        while index < end {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "#"):
                register = number()
                if index < end, bytes[index] == UInt8(ascii: ";") {
                    index += 1
                    guard number() == 2 else { throw TestFailure("not an RGB colour") }
                    for _ in 0..<3 { try skip(";"); _ = number() }
                    defined.insert(register)
                } else if !defined.contains(register) {
                    throw TestFailure("register \(register) used before it is defined")
                }
            case UInt8(ascii: "$"): x = 0
            case UInt8(ascii: "-"): (x, top) = (0, top + 6)
            case UInt8(ascii: "!"), 63...126:
                let count = byte == UInt8(ascii: "!") ? number() : 1
                let character = byte == UInt8(ascii: "!") ? bytes[index] : byte
                if byte == UInt8(ascii: "!") { index += 1 }
                guard (63...126).contains(character), register >= 0 else { throw TestFailure("bad sixel at \(index)") }
                for _ in 0..<count {
                    for bit in 0..<6 where (character - 63) >> bit & 1 == 1 {
                        guard x < width, top + bit < height else { throw TestFailure("drawn outside \(width)x\(height)") }
                        registers[(top + bit) * width + x] = register
                    }
                    x += 1
                }
            default:
                throw TestFailure("unexpected byte \(byte) at \(index - 1)")
            }
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func firstIndex(of byte: UInt8, after start: Int) -> Int? {
        self[start...].firstIndex(of: byte)
    }
}
