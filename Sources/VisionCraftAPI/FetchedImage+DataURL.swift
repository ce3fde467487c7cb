import Backends
import Base64Coding

extension FetchedImage {
    /// The image as a `data:image/...;base64,` URL: how VisionCraft takes an
    /// inline init image.
    public var dataURL: String { "data:\(format.mimeType);base64,\(Base64.encode(bytes))" }
}
