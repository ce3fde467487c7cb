import Harness
import Imaging
import PluginHost
import Posix

/// The plugin benchmark: the upscale plugin's pixel rate and the daemon's
/// whole image chain (decode, upscale, encode with metadata) against
/// ImageMagick and libvips on the same 512x512 picture in the same run, and
/// the cost of calling a plugin hook that does nothing.
public struct PluginBenchmark {
    public struct Settings: Sendable {
        public var repetitions = 10
        public var hyperfineRuns = 10
        public init() {}
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    public func run() throws -> String {
        let scratch = try TemporaryDirectory(prefix: "vcbench-")
        defer { scratch.remove() }
        let folder = scratch.path
        let hyperfine = try Hyperfine()
        let vips = try Binaries.peer("vips", package: "libvips-tools")
        let convert = try Binaries.peer("convert", package: "imagemagick")
        let upscale = try PluginLoader.load("\(context.binaries.directory)/libvisioncraft-upscale\(PluginRegistry.fileExtension)")
        let picture = Self.picture(side: 512)
        let png = try PNGCodec.encode(picture)
        let repetitions = settings.repetitions
        let input = "\(folder)/in.png"
        try FileSystem.writeFileAtomically(input, png)

        // Pixel work: the hook alone, on a decoded image.
        var pixels = TextTable(header: ["upscale 512x512, pixel work", "ours (hook, call included)", "vips (start-up subtracted)", "ours vs vips"])
        try run(vips, ["copy", input, "\(folder)/in.v"])
        for scale in [2, 4] {
            context.print("  upscale x\(scale): the hook ...")
            let seconds = try BlockingTask.run {
                let started = MonotonicInstant.now()
                for _ in 0..<repetitions {
                    _ = try await upscale.image(picture, parameters: #"{"options":{"scale":\#(scale)}}"#, timeout: .seconds(60))
                }
                return started.elapsed.seconds / Double(repetitions)
            }
            context.print("  upscale x\(scale): vips ...")
            let timings = try hyperfine.time(
                ["\(vips) resize \(folder)/in.v \(folder)/out.v \(scale) --kernel lanczos3", "\(vips) copy \(folder)/in.v \(folder)/copy.v"],
                runs: settings.hyperfineRuns, warmup: 2, exportTo: "\(folder)/pixels.json"
            )
            let megapixels = Double(512 * scale * 512 * scale) / 1_000_000
            let vipsSeconds = max(timings[0].meanSeconds - timings[1].meanSeconds, 1e-6)
            pixels.append([
                "x\(scale) (\(512 * scale)x\(512 * scale))", "\(Format.fixed(megapixels / seconds, 1)) MP/s", "\(Format.fixed(megapixels / vipsSeconds, 1)) MP/s",
                Format.ratio(vipsSeconds / seconds),
            ])
            context.findings.record(
                suite: "plugins", figure: "upscale x\(scale), Lanczos-3 pixel work", ours: "\(Format.fixed(megapixels / seconds, 1)) MP/s",
                peer: "vips resize: \(Format.fixed(megapixels / vipsSeconds, 1)) MP/s", advantage: vipsSeconds / seconds,
                whyBehind: "vips runs its resize as separable SIMD passes (with its own vector code) on several threads; the "
                    + "upscale plugin is plain Swift, one thread per image, autovectorized at best"
            )
        }

        // End to end: file in, file out, metadata kept.
        context.print("  end to end: ours ...")
        let ours = try BlockingTask.run {
            let started = MonotonicInstant.now()
            var size = 0
            for _ in 0..<repetitions {
                let decoded = try PNGCodec.decode(try FileSystem.readFile(input))
                let resized = try await upscale.image(decoded.image, parameters: #"{"options":{"scale":2}}"#, timeout: .seconds(60))
                let encoded = try PNGCodec.encode(resized, text: decoded.text + [.init(keyword: "parameters", text: "x\nPostprocessing: upscale (scale=2)")])
                try FileSystem.writeFileAtomically("\(folder)/ours.png", encoded)
                size = encoded.count
            }
            return (started.elapsed.seconds / Double(repetitions), size)
        }
        context.print("  end to end: vips and ImageMagick ...")
        let peers = try hyperfine.time(
            ["\(vips) resize \(input) \(folder)/vips.png 2 --kernel lanczos3", "\(convert) \(input) -filter Lanczos -resize 200% \(folder)/magick.png"],
            runs: settings.hyperfineRuns, warmup: 1, exportTo: "\(folder)/e2e.json"
        )
        for (index, peer) in ["vips resize", "ImageMagick convert -resize 200%"].enumerated() {
            context.findings.record(
                suite: "plugins", figure: "512x512 PNG to 1024x1024 PNG, file to file", ours: "\(Format.fixed(ours.0 * 1000, 1)) ms",
                peer: "\(peer): \(Format.fixed(peers[index].meanSeconds * 1000, 1)) ms", advantage: peers[index].meanSeconds / ours.0,
                whyBehind: "the PNG encode at zlib level 6 with adaptive filters is most of our time (see the encode table); "
                    + "the peers also start a process each time, which we do not"
            )
        }
        func size(_ path: String) -> String { ((try? FileSystem.status(path))?.size).map { "\($0 / 1024) KiB" } ?? "-" }
        var endToEnd = TextTable(header: ["512x512 PNG -> 1024x1024 PNG", "ms", "output", "ours vs this"])
        endToEnd.append(["visioncraftd chain (decode, upscale, encode zlib 6, text kept)", Format.fixed(ours.0 * 1000, 1), "\(ours.1 / 1024) KiB", ""])
        endToEnd.append(["vips resize (whole process)", Format.fixed(peers[0].meanSeconds * 1000, 1), size("\(folder)/vips.png"), Format.ratio(peers[0].meanSeconds / ours.0)])
        endToEnd.append(["ImageMagick convert -resize 200% (whole process)", Format.fixed(peers[1].meanSeconds * 1000, 1), size("\(folder)/magick.png"), Format.ratio(peers[1].meanSeconds / ours.0)])

        // What the encode costs, by zlib level.
        context.print("  PNG encode levels ...")
        let big = try BlockingTask.run { try await upscale.image(picture, parameters: #"{"options":{"scale":2}}"#, timeout: .seconds(60)) }
        var encoding = TextTable(header: ["encode 1024x1024 (libpng, adaptive filters)", "ms", "size"])
        for level in [1, 6, 9] {
            let started = MonotonicInstant.now()
            var bytes: [UInt8] = []
            for _ in 0..<repetitions { bytes = try PNGCodec.encode(big, options: .init(compressionLevel: level)) }
            encoding.append(["zlib level \(level)\(level == 6 ? " (the daemon's)" : "")", Format.fixed(started.elapsed.seconds * 1000 / Double(repetitions), 1), "\(bytes.count / 1024) KiB"])
        }

        // Calling a hook that does nothing.
        let echo = try PluginLoader.load("\(context.binaries.directory)/libvctest-echo\(PluginRegistry.fileExtension)")
        context.print("  no-op hook calls ...")
        let calls = 2000
        let perCall = try BlockingTask.run {
            let started = MonotonicInstant.now()
            for _ in 0..<calls { try await echo.file("/tmp/x.png", parameters: "{}", timeout: .seconds(10)) }
            return started.elapsed.seconds / Double(calls)
        }
        var overhead = TextTable(header: ["calling a hook that does nothing", "per call"])
        overhead.append(["file hook (worker hand-off and back, time limit)", Format.micros(perCall * 1_000_000)])
        return [
            pixels.render(), endToEnd.render() + "\n(ours runs inside the daemon; the peers' times include starting their process)",
            encoding.render(), overhead.render(),
        ]
            .joined(separator: "\n\n")
    }

    private func run(_ executable: String, _ arguments: [String]) throws {
        var options = ChildProcess.Options(executable: executable, arguments: arguments)
        options.standardOutput = .null
        guard try ChildProcess.spawn(options).wait() == .exited(0) else { throw BenchmarkError("\(executable) \(arguments.joined(separator: " ")) failed") }
    }

    /// A picture with smooth gradients and hard edges, like a generated image.
    static func picture(side: Int) -> RGBAImage {
        var image = RGBAImage(width: side, height: side)
        for y in 0..<side {
            for x in 0..<side {
                let offset = (y * side + x) * 4
                let dx = x - side / 2, dy = y - side / 3
                let inside = dx * dx + dy * dy < (side / 5) * (side / 5)
                image.pixels[offset] = UInt8((x * 255) / side)
                image.pixels[offset + 1] = inside ? 230 : UInt8((y * 200) / side)
                image.pixels[offset + 2] = UInt8(((x + y) * 127) / side)
                image.pixels[offset + 3] = 255
            }
        }
        return image
    }
}
