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

@Suite struct UpscaleMemoryTests {
    @Test func thePlanIsWhatTheHookDoes() async throws {
        let plugin = try upscale()
        for (options, width, height) in [("{}", 14, 10), (#"{"scale":3}"#, 21, 15), (#"{"width":10,"height":3}"#, 10, 3)] {
            let plan = try await plugin.imagePlan(width: 7, height: 5, parameters: #"{"options":\#(options)}"#, timeout: TestTime.scaled(.seconds(10)))
            #expect(plan?.width == width && plan?.height == height && plan?.inPlace == false, "\(options)")
            let result = try await resize(RGBAImage(width: 7, height: 5), options)
            #expect(result.width == width && result.height == height)
        }
        await #expect(throws: PluginError.self, "a plan refuses what the hook refuses") {
            _ = try await plugin.imagePlan(width: 7, height: 5, parameters: #"{"options":{"scale":5}}"#, timeout: TestTime.scaled(.seconds(10)))
        }
        let big = try #require(try await plugin.imagePlan(width: 8192, height: 8192, parameters: #"{"options":{"scale":2}}"#, timeout: .seconds(10)))
        #expect(big.width == 16384 && big.height == 16384)
        // Rows of 16384 floats x 4 channels, TAPS + 1 a thread (at most 16), and the tap tables.
        #expect(big.workingBytes < 16 * 7 * 16384 * 16 + (16384 * 2) * 28 + 1, "\(big.workingBytes)")
        #expect(big.workingBytes < (2 << 30) / 50, "far below the 2 GiB of every row resampled across: \(big.workingBytes)")
    }

    /// Runs the hook in a Python process of its own (ctypes), whose peak
    /// resident memory (VmHWM) is then the input, the output and what the
    /// plugin allocated besides: a buffer of every row resampled across would
    /// be 1024 x 2048 x 16 bytes = 32 MiB here.
    @Test(
        .enabled(if: (try? FileSystem.status("/proc/self/status"))?.flatMap({ $0 }) != nil, "reads /proc/self/status (Linux)"),
        // A plugin built with a sanitizer needs its runtime, which python
        // has not loaded; and the sizes would be the sanitizer's.
        .disabled(if: SanitizedRun.isActive, "measures memory, which a sanitizer owns")
    )
    func itsWorkingMemoryIsAFewRowsNotTheImage() async throws {
        guard let python = ProcessEnvironment.findExecutable(named: "python3") else { return }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("memory.py"), Array(Self.script.utf8))
        let library = "\(BuiltProducts.directory)/libvisioncraft-upscale\(PluginRegistry.fileExtension)"
        let run = try await offPool { try runProcess(python, [folder.file("memory.py"), library, "1024", "2"]) }
        #expect(run.status == 0, "\(run.standardError)")
        let working = try #require(Int(run.standardOutput.filter { !$0.isWhitespace }), "\(run.standardOutput)")
        #expect(working < 8 << 20, "the plugin's own peak: \(working) bytes")
        let plan = try #require(try await upscale().imagePlan(width: 1024, height: 1024, parameters: #"{"options":{"scale":2}}"#, timeout: .seconds(10)))
        #expect(working <= plan.workingBytes + (1 << 20), "within its plan (\(plan.workingBytes) bytes) give or take a MiB of page rounding: \(working)")
    }

    static let script = #"""
        import ctypes, sys
        lib = ctypes.CDLL(sys.argv[1])
        side, scale = int(sys.argv[2]), int(sys.argv[3])
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        class Host(ctypes.Structure):
            _fields_ = [("size", ctypes.c_uint32), ("abi_major", ctypes.c_uint16), ("abi_minor", ctypes.c_uint16),
                        ("allocate", ctypes.c_void_p), ("release", ctypes.c_void_p), ("log", ctypes.c_void_p), ("context", ctypes.c_void_p)]
        class Image(ctypes.Structure):
            _fields_ = [("pixels", ctypes.c_void_p), ("width", ctypes.c_uint32), ("height", ctypes.c_uint32), ("stride", ctypes.c_size_t)]
        INIT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Host), ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_char_p))
        IMAGE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Image), ctypes.c_char_p, ctypes.POINTER(Image), ctypes.POINTER(ctypes.c_char_p))
        class Descriptor(ctypes.Structure):
            _fields_ = [("abi_major", ctypes.c_uint16), ("abi_minor", ctypes.c_uint16), ("size", ctypes.c_uint32),
                        ("name", ctypes.c_char_p), ("version", ctypes.c_char_p), ("description", ctypes.c_char_p),
                        ("hooks", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("init", INIT), ("deinit", ctypes.c_void_p),
                        ("prompt", ctypes.c_void_p), ("image", IMAGE), ("file", ctypes.c_void_p)]
        lib.visioncraft_plugin_entry.restype = ctypes.POINTER(Descriptor)
        d = lib.visioncraft_plugin_entry().contents
        host = Host(ctypes.sizeof(Host), 1, 0, ctypes.cast(libc.malloc, ctypes.c_void_p), ctypes.cast(libc.free, ctypes.c_void_p), None, None)
        state, error = ctypes.c_void_p(), ctypes.c_char_p()
        assert d.init(ctypes.byref(host), b"{}", ctypes.byref(state), ctypes.byref(error)) == 0
        pixels = ctypes.create_string_buffer(side * side * 4)
        ctypes.memset(pixels, 0x80, side * side * 4)
        def peak():
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"): return int(line.split()[1]) * 1024
        before = peak()
        inp, out = Image(ctypes.cast(pixels, ctypes.c_void_p), side, side, side * 4), Image()
        status = d.image(state, ctypes.byref(inp), b'{"options":{"scale":%d}}' % scale, ctypes.byref(out), ctypes.byref(error))
        assert status == 0, error.value
        print(peak() - before - out.height * out.stride)
        """#
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
