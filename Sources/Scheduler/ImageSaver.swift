import Imaging
import JSON
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

    /// Fetches `url` and saves it under `base`, PNGs stamped with
    /// `stamp(width, height)`; returns the final path.
    func save(url: String, base: String, stamp: (Int?, Int?) -> String) async throws(DownloadError) -> String {
        let image = try await client.fetchImage(url)
        var bytes = image.bytes
        if image.format == .png {
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
            throw .storage("cannot write \(path): \(error)")
        }
        return path
    }

    /// Width and height from a PNG's IHDR, if it is one.
    static func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard PNGCodec.hasSignature(bytes), bytes.count >= 24 else { return nil }
        func read(_ offset: Int) -> Int { Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]) }
        return (read(16), read(20))
    }
}
