import Imaging
import PluginHost
import Posix
import Testing
import TestSupport

/// The shipped upscale plugin, loaded from the build like the daemon does.
func upscale() throws -> LoadedPlugin {
    try PluginLoader.load("\(BuiltProducts.directory)/libvisioncraft-upscale\(PluginRegistry.fileExtension)")
}

func resize(_ image: RGBAImage, _ options: String) async throws -> RGBAImage {
    try await upscale().image(image, parameters: #"{"options":\#(options)}"#, timeout: TestTime.scaled(.seconds(30)))
}

/// A small RGBA image with pseudo-random pixels (seeded).
func noise(width: Int, height: Int, seed: UInt64) -> RGBAImage {
    var state = seed
    var image = RGBAImage(width: width, height: height)
    for index in image.pixels.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        image.pixels[index] = UInt8(truncatingIfNeeded: state >> 56)
    }
    return image
}

@Suite struct UpscalePluginTests {
    @Test func sizesFollowTheOptions() async throws {
        let image = RGBAImage(width: 7, height: 5)
        for (options, width, height) in [("{}", 14, 10), (#"{"scale":3}"#, 21, 15), (#"{"scale":4}"#, 28, 20), (#"{"width":14}"#, 14, 10), (#"{"width":10,"height":3}"#, 10, 3)] {
            let result = try await resize(image, options)
            #expect(result.width == width && result.height == height, "\(options)")
        }
        for (options, message) in [
            (#"{"scale":5}"#, "scale must be 2, 3 or 4"), (#"{"scale":2,"width":9}"#, "not both"),
            (#"{"width":20000}"#, "larger than 16384"), (#"{"scale":"big"}"#, "whole numbers"),
        ] {
            await #expect(throws: PluginError.self, "\(options)") { _ = try await resize(image, options) }
            do {
                _ = try await resize(image, options)
            } catch {
                #expect("\(error)".contains(message), "\(options): \(error)")
            }
        }
    }

    @Test func aFlatImageStaysFlat() async throws {
        let image = RGBAImage(width: 9, height: 6, fill: (100, 150, 200, 255))
        let result = try await resize(image, #"{"scale":3}"#)
        #expect(Set(stride(from: 0, to: result.pixels.count, by: 4).map { Array(result.pixels[$0..<($0 + 4)]) }) == [[100, 150, 200, 255]])
    }

    @Test func transparentColourDoesNotBleed() async throws {
        // Left half: fully transparent red. Right half: opaque blue.
        var image = RGBAImage(width: 8, height: 4)
        for y in 0..<4 {
            for x in 0..<8 {
                let offset = (y * 8 + x) * 4
                image.pixels[offset..<(offset + 4)] = x < 4 ? [255, 0, 0, 0] : [0, 0, 255, 255]
            }
        }
        let result = try await resize(image, "{}")
        for offset in stride(from: 0, to: result.pixels.count, by: 4) where result.pixels[offset + 3] > 8 {
            #expect(result.pixels[offset] <= 2, "red bled into a visible pixel: \(Array(result.pixels[offset..<(offset + 4)]))")
        }
    }

    @Test func matchesAnIndependentReference() async throws {
        let image = noise(width: 13, height: 9, seed: 7)
        let result = try await resize(image, #"{"scale":2}"#)
        let reference = try await offPool { try pythonLanczos(image, scale: 2) }
        #expect(reference.count == result.pixels.count)
        let worst = zip(reference, result.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 99
        #expect(worst <= 1, "largest difference from the reference: \(worst)")
    }
}

/// Separable Lanczos3 in premultiplied alpha, in Python, from the definition.
func pythonLanczos(_ image: RGBAImage, scale: Int) throws -> [UInt8] {
    let script = #"""
        import math, sys
        w, h, s = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        px = bytes.fromhex(sys.stdin.read().strip())
        def L(x):
            if x == 0: return 1.0
            if abs(x) >= 3: return 0.0
            p = math.pi * x
            return 3 * math.sin(p) * math.sin(p / 3) / (p * p)
        def taps(n, m):
            out = []
            for o in range(m):
                c = (o + 0.5) / (m / n) - 0.5
                f = math.floor(c) - 2
                ws = [L(c - (f + k)) for k in range(6)]
                t = sum(ws)
                out.append([(min(max(f + k, 0), n - 1), ws[k] / t) for k in range(6)])
            return out
        W, H = w * s, h * s
        tx, ty = taps(w, W), taps(h, H)
        def p(x, y, c): return px[(y * w + x) * 4 + c]
        rows = []
        for y in range(h):
            row = []
            for x in range(W):
                acc = [0.0] * 4
                for (i, wt) in tx[x]:
                    a = p(i, y, 3) / 255
                    for c in range(3): acc[c] += wt * p(i, y, c) * a
                    acc[3] += wt * p(i, y, 3)
                row.append(acc)
            rows.append(row)
        out = bytearray()
        for y in range(H):
            for x in range(W):
                acc = [0.0] * 4
                for (j, wt) in ty[y]:
                    for c in range(4): acc[c] += wt * rows[j][x][c]
                a = acc[3]
                un = 255 / a if a >= 0.5 else 0
                for c in range(3):
                    v = acc[c] * un
                    out.append(0 if v <= 0 else 255 if v >= 255 else int(v + 0.5))
                out.append(0 if a <= 0 else 255 if a >= 255 else int(a + 0.5))
        sys.stdout.write(out.hex())
        """#
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try FileSystem.writeFileAtomically(folder.file("in.hex"), Array(image.pixels.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined().utf8))
    let output = try runProcess("/usr/bin/env", ["sh", "-c", "python3 -c \"$0\" \"$1\" \"$2\" \"$3\" < \"$4\"", script, String(image.width), String(image.height), String(scale), folder.file("in.hex")])
    guard output.status == 0 else { throw TestFailure("python3 failed: \(output.standardError)") }
    let hex = Array(output.standardOutput.utf8)
    return stride(from: 0, to: hex.count - 1, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16) ?? 0 }
}
