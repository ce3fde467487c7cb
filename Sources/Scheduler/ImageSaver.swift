import Backends
import Imaging
import Jobs
import JSON
import PluginHost
import Posix

/// Saves a job's images: `<folder>/<YYYY-MM-DD>/<job id>-<n>.<ext>`, PNGs
/// checked whole and stamped with the A1111 `parameters` chunk, written to a
/// temporary file, fsynced and renamed. A file already under its final name
/// (a crash between the rename and the database) is adopted, never written
/// twice.
///
/// An image that goes through image plugins is decoded once, handed from
/// hook to hook without copies, and encoded once straight to its file; from
/// before it is decoded until it is written it holds its share of the
/// daemon's image memory (`ImageMemory`): the most its chain will have at
/// once, from the PNG's header and each hook's plan.
struct ImageSaver: Sendable {
    let memory: ImageMemory
    let limits: ImageLimits

    /// The final path of image `index` without its extension.
    static func basePath(folder: String, jobID: String, createdAt: Int64, index: Int) -> String {
        "\(folder)/\(WallClock(milliseconds: createdAt).localDate)/\(jobID)-\(index + 1)"
    }

    /// An image already saved under `base` with any of our extensions.
    static func existing(base: String) -> String? {
        for format in ImageFormat.allCases {
            let path = "\(base).\(format.fileExtension)"
            if let status = try? FileSystem.status(path), status.kind == .regular, status.size > 0 { return path }
        }
        return nil
    }

    /// Why an image was not saved.
    enum Failure: Error, Equatable {
        /// The bytes came whole but are not a usable image: the decoder's reason.
        case corrupt(String)
        /// It passes a limit (pixels in or out, the image memory): permanent.
        case tooLarge(String)
        case plugin(String)
        /// It could not be written (disk full, permissions).
        case storage(String)
        /// The task was cancelled while it waited for image memory.
        case cancelled
    }

    /// Saves a fetched image under `base`, PNGs stamped with
    /// `stamp(width, height, steps)`: the saved size, and the chain's image
    /// hook steps that ran (none without image hooks); returns the final path. `waiting` is
    /// told when the image waits for memory, with the bytes it needs. Without
    /// `syncingFolder`, the caller syncs the folder (`syncFolder(of:)`)
    /// before it records the image saved.
    func store(
        _ image: FetchedImage, base: String, chain: PluginChain? = nil, hookParameters: (PluginStep) -> String = { _ in "{}" },
        stamp: (_ width: Int, _ height: Int, _ postprocessing: [(plugin: LoadedPlugin, step: PluginStep)]) -> String, waiting: (Int) -> Void = { _ in },
        syncingFolder: Bool = true
    ) async throws(Failure) -> String {
        let path = "\(base).\(image.format.fileExtension)"
        if let chain, chain.hasImageHooks {
            guard image.format == .png else {
                throw .plugin("image plugins need PNG images; the service returned \(image.format.rawValue)")
            }
            try await process(image.bytes, to: path, chain: chain, hookParameters: hookParameters, stamp: stamp, waiting: waiting, syncingFolder: syncingFolder)
            return path
        }
        var bytes = image.bytes
        if image.format == .png {
            let size: (width: Int, height: Int)
            do {
                size = try PNGCodec.verify(bytes)
            } catch {
                throw .corrupt(error.description)
            }
            // The image just verified: a failure here is a corrupt file, not
            // a reason to save it without its parameters.
            do {
                bytes = try PNGTextInsertion.inserting(.init(keyword: "parameters", text: stamp(size.width, size.height, [])), into: bytes)
            } catch {
                throw .corrupt(error.description)
            }
        }
        let stamped = bytes
        do {
            // The fsyncs block: on a thread of their own, never the pool's.
            try await onOwnThread(name: "vc-save") {
                try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o755)
                // One writer per image (one daemon per user, one task per
                // image): a crash's ".partial" is overwritten by the next try.
                try FileSystem.writeFileAtomically(path, stamped, permissions: 0o644, temporarySuffix: ".partial", syncingFolder: syncingFolder)
            }
        } catch {
            throw .storage("cannot write \(path): \(error)")
        }
        return path
    }

    /// Syncs the folder of the image saved at `path`, on a thread of its own.
    static func syncFolder(of path: String) async throws {
        try await onOwnThread(name: "vc-save") { FileSystem.synchronizeDirectory(FileSystem.parentDirectory(of: path)) }
    }

    /// One image hook of a chain, with what it said it will do.
    private struct Step {
        let plugin: LoadedPlugin
        let step: PluginStep
        let parameters: String
        /// Its plan; nil for a plugin without one (counted as making a new
        /// image of its input's size).
        let plan: ImagePlan?
    }

    /// Checks, plans, holds memory, decodes, runs the image hooks in order,
    /// and encodes to `path` with the text chunks kept and the stamp.
    /// Decoding and encoding run on a thread of their own.
    private func process(
        _ png: [UInt8], to path: String, chain: PluginChain, hookParameters: (PluginStep) -> String,
        stamp: (_ width: Int, _ height: Int, _ postprocessing: [(plugin: LoadedPlugin, step: PluginStep)]) -> String,
        waiting: (Int) -> Void, syncingFolder: Bool
    ) async throws(Failure) {
        let size: (width: Int, height: Int)
        do {
            size = try PNGCodec.verify(png)
        } catch {
            throw .corrupt(error.description)
        }
        let decodeLimits = PNGCodec.DecodeLimits(maximumPixels: UInt64(limits.maximumInputPixels))
        guard size.width <= Int(decodeLimits.maximumSide), size.height <= Int(decodeLimits.maximumSide),
            size.width * size.height <= limits.maximumInputPixels
        else {
            throw .tooLarge(
                "it is \(size.width)x\(size.height) (\(Self.megapixels(size.width * size.height))), more than images may have to go through "
                    + "image plugins: \(Self.megapixels(limits.maximumInputPixels)), at most \(decodeLimits.maximumSide) on a side "
                    + "(visioncraftd --max-input-megapixels, images.max_input_megapixels)"
            )
        }
        var steps: [Step] = []
        for (plugin, step) in chain.steps where plugin.hooks.contains(.image) {
            let parameters = hookParameters(step)
            let plan: ImagePlan?
            do {
                plan = try await plugin.imagePlan(width: size.width, height: size.height, parameters: parameters, timeout: chain.timeout)
            } catch {
                throw .plugin(error.description)
            }
            steps.append(Step(plugin: plugin, step: step, parameters: parameters, plan: plan))
        }
        var held = try need(steps, from: size, startingAt: 0)
        guard held <= memory.capacity else {
            throw .tooLarge(
                "it needs \(Self.mebibytes(held)) of image memory (\(size.width)x\(size.height) decoded, then "
                    + steps.map { describe($0, from: size) }.joined(separator: ", ")
                    + "), more than all jobs share: \(Self.mebibytes(memory.capacity)) (visioncraftd --image-memory, images.memory_mb)"
            )
        }
        do {
            try await memory.reserve(held) { _ in waiting(held) }
        } catch {
            throw .cancelled
        }
        defer { memory.release(held) }
        var (buffer, text): (PixelBuffer, [PNGCodec.TextChunk])
        do {
            (buffer, text) = try await onOwnThread(name: "vc-decode") { try PNGCodec.decodePixels(png, limits: decodeLimits) }
        } catch {
            throw .corrupt("\(error)")
        }
        for (index, step) in steps.enumerated() {
            let input = buffer
            do {
                buffer = try await step.plugin.image(input, parameters: step.parameters, timeout: chain.timeout)
            } catch {
                throw .plugin(error.description)
            }
            let result = (width: buffer.width, height: buffer.height)
            if let plan = step.plan {
                guard result.width == plan.width, result.height == plan.height, !plan.inPlace || buffer === input else {
                    throw .plugin(
                        "plugin \(step.plugin.name) broke its image plan: it said \(plan.width)x\(plan.height)\(plan.inPlace ? " in place" : ""), "
                            + "it returned \(result.width)x\(result.height)\(buffer === input ? " in place" : "")"
                    )
                }
            } else {
                // Counted as an image of its input's size: the real one
                // decides from here on, held at once (it is in memory already).
                try checkOutput(result, of: step.plugin)
                let rest = try need(steps, from: result, startingAt: index + 1)
                if rest > held {
                    memory.grow(by: rest - held)
                    held = rest
                }
            }
        }
        text.removeAll { $0.keyword == "parameters" }
        text.append(.init(keyword: "parameters", text: stamp(buffer.width, buffer.height, steps.map { ($0.plugin, $0.step) })))
        let (final, chunks) = (buffer, text)
        do {
            try await onOwnThread(name: "vc-encode") {
                try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o755)
                try FileSystem.writeFileAtomically(path, permissions: 0o644, temporarySuffix: ".partial", syncingFolder: syncingFolder) { file in
                    try PNGCodec.encode(final, text: chunks, toDescriptor: file.rawValue)
                }
            }
        } catch let error as ImagingError {
            throw .plugin("the processed image cannot be encoded: \(error)")
        } catch {
            throw .storage("cannot write \(path): \(error)")
        }
    }

    /// The most bytes the steps from `first` on hold at once, for an input
    /// of `size` (the decoded image when `first` is 0); each result is
    /// checked against the output limit. The encoder streams to the file:
    /// it adds only libpng's and zlib's few hundred KiB.
    private func need(_ steps: [Step], from size: (width: Int, height: Int), startingAt first: Int) throws(Failure) -> Int {
        var current = size.width * size.height * 4
        var most = current
        for step in steps[first...] {
            let plan = step.plan ?? ImagePlan(width: size.width, height: size.height, inPlace: false, workingBytes: 0)
            try checkOutput((plan.width, plan.height), of: step.plugin)
            let result = plan.inPlace ? 0 : plan.width * plan.height * 4
            most = max(most, current + result + plan.workingBytes)
            if !plan.inPlace { current = result }
        }
        return most
    }

    private func checkOutput(_ size: (width: Int, height: Int), of plugin: LoadedPlugin) throws(Failure) {
        guard size.width * size.height <= limits.maximumOutputPixels else {
            throw .tooLarge(
                "plugin \(plugin.name) would make it \(size.width)x\(size.height) (\(Self.megapixels(size.width * size.height))), more than an image "
                    + "plugin may return: \(Self.megapixels(limits.maximumOutputPixels)) (visioncraftd --max-output-megapixels, images.max_output_megapixels)"
            )
        }
    }

    private func describe(_ step: Step, from size: (width: Int, height: Int)) -> String {
        guard let plan = step.plan else { return "\(step.plugin.name), counted as \(size.width)x\(size.height) (it has no plan)" }
        let made = plan.inPlace ? "in place" : "to \(plan.width)x\(plan.height)"
        return "\(step.plugin.name) \(made)" + (plan.workingBytes > 0 ? " with \(Self.mebibytes(plan.workingBytes)) of working memory" : "")
    }

    /// `pixels` in the settings' unit, "64 megapixels" or "0.3 megapixels".
    static func megapixels(_ pixels: Int) -> String {
        let tenths = (pixels * 10 + ImageLimits.megapixel / 2) / ImageLimits.megapixel
        return (tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)") + " megapixels"
    }

    /// `bytes` in MiB, rounded up ("1 MiB" for anything above 0).
    static func mebibytes(_ bytes: Int) -> String {
        "\((bytes + (1 << 20) - 1) >> 20) MiB"
    }
}
