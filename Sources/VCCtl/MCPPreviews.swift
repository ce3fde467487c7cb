import Base64Coding
import Imaging
import JSON
import MCP
import Posix

/// Inline previews of saved images for a client that asks for them: PNGs of
/// at most `maximumSide` pixels, each under `maximumBytes`, all of them
/// under `budgetBytes` of base64, so that a result stays far inside the
/// 1 MiB Claude Desktop accepts (and a 100-image job gets previews for as
/// many as fit, and says so).
enum MCPPreviews {
    static let maximumSide = 256
    static let maximumBytes = 96 << 10
    static let budgetBytes = 640 << 10
    /// The largest saved file read for a preview.
    static let maximumSourceBytes = 64 << 20

    static func blocks(for paths: [String]) -> [JSON] {
        var blocks: [JSON] = []
        var spent = 0
        var left: [String] = []
        for path in paths {
            guard let preview = preview(of: path) else {
                left.append(FileSystem.lastComponent(of: path))
                continue
            }
            let encoded = Base64.encode(preview)
            guard spent + encoded.utf8.count <= budgetBytes else {
                left.append(FileSystem.lastComponent(of: path))
                continue
            }
            spent += encoded.utf8.count
            blocks.append(MCPContent.image(base64: encoded, mimeType: MCPImageFormat.png.mimeType))
        }
        if !left.isEmpty {
            blocks.append(MCPContent.text("No preview for \(left.count) of \(paths.count) images (\(left.prefix(5).joined(separator: ", "))\(left.count > 5 ? ", ..." : "")): too many for one answer, or not a PNG; their resource links above read them."))
        }
        return blocks
    }

    /// A PNG of `path` that fits the side and byte limits, halving the side
    /// until it does; nil for a file that is not a readable PNG.
    static func preview(of path: String) -> [UInt8]? {
        guard let bytes = try? FileSystem.readRegularFile(path, maximumBytes: maximumSourceBytes),
            let decoded = try? PNGCodec.decode(bytes)
        else { return nil }
        var side = maximumSide
        while side >= 32 {
            let small = decoded.image.shrunk(toFit: side)
            if let encoded = try? PNGCodec.encode(small, options: PNGCodec.Options(compressionLevel: 9)), encoded.count <= maximumBytes {
                return encoded
            }
            side /= 2
        }
        return nil
    }
}
