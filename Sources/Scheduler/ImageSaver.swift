import Imaging
import JSON
import PluginHost
import Posix
import VisionCraftAPI
import VisionCraftProtocol

/// Saves a job's images: `<folder>/<YYYY-MM-DD>/<job id>-<n>.<ext>`, PNGs
/// stamped with the A1111 `parameters` chunk, written to a temporary file,
/// fsynced and renamed. A file already under its final name (a crash between
/// the rename and the database) is adopted, never written twice.
struct ImageSaver: Sendable {
    let client: VisionCraftClient

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
    enum Failure: Error {
        case download(DownloadError)
        case plugin(String)
    }

    /// Fetches `url` and saves it under `base`, PNGs stamped with
    /// `stamp(width, height)`, after the chain's image hooks (decoded once,
    /// encoded once; the stamp gains a Postprocessing line); returns the
    /// final path.
    func save(
        url: String, base: String, chain: PluginChain? = nil, hookParameters: (PluginStep) -> String = { _ in "{}" },
        stamp: (Int?, Int?) -> String
    ) async throws(Failure) -> String {
        let image: FetchedImage
        do {
            image = try await client.fetchImage(url)
        } catch {
            throw .download(error)
        }
        var bytes = image.bytes
        if let chain, chain.hasImageHooks {
            guard image.format == .png else {
                throw .plugin("image plugins need PNG images; the service returned \(image.format.rawValue)")
            }
            bytes = try await process(bytes, chain: chain, hookParameters: hookParameters, stamp: stamp)
        } else if image.format == .png {
            let size = Self.pngSize(bytes)
            if let stamped = try? PNGTextInsertion.inserting(.init(keyword: "parameters", text: stamp(size?.width, size?.height)), into: bytes) {
                bytes = stamped
            }
        }
        let path = "\(base).\(image.format.fileExtension)"
        do {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o755)
            // One writer per image (one daemon per user, one task per image):
            // a crash's ".partial" is overwritten by the next try.
            try FileSystem.writeFileAtomically(path, bytes, permissions: 0o644, temporarySuffix: ".partial")
        } catch {
            throw .download(.storage("cannot write \(path): \(error)"))
        }
        return path
    }

    /// Decodes, runs the image hooks in order, encodes with the text chunks
    /// kept and the stamp (plus a Postprocessing line naming each step).
    private func process(
        _ png: [UInt8], chain: PluginChain, hookParameters: (PluginStep) -> String, stamp: (Int?, Int?) -> String
    ) async throws(Failure) -> [UInt8] {
        var decoded: (image: RGBAImage, text: [PNGCodec.TextChunk])
        do {
            decoded = try PNGCodec.decode(png)
        } catch {
            throw .download(.notAnImage("\(error)"))
        }
        var steps: [String] = []
        for (plugin, step) in chain.steps where plugin.hooks.contains(.image) {
            do {
                decoded.image = try await plugin.image(decoded.image, parameters: hookParameters(step), timeout: chain.timeout)
            } catch {
                throw .plugin(error.description)
            }
            steps.append(step.description)
        }
        var text = decoded.text.filter { $0.keyword != "parameters" }
        let parameters = stamp(decoded.image.width, decoded.image.height) + "\nPostprocessing: " + steps.joined(separator: ", ")
        text.append(.init(keyword: "parameters", text: parameters))
        do {
            return try PNGCodec.encode(decoded.image, text: text)
        } catch {
            throw .plugin("the processed image cannot be encoded: \(error)")
        }
    }

    /// Width and height from a PNG's IHDR, if it is one.
    static func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard PNGCodec.hasSignature(bytes), bytes.count >= 24 else { return nil }
        func read(_ offset: Int) -> Int { Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]) }
        return (read(16), read(20))
    }
}
