import Backends
import Base64Coding
import JSON

/// Reads what `/sdapi/v1/txt2img` and `/img2img` answer:
/// `{"images": [base64, ...], "parameters": {...}, "info": "<JSON>"}`, where
/// `info` is a JSON document in a string (`Processed.js()`) holding
/// `all_seeds` (one per image made), `infotexts` (one per image returned,
/// the grid's first when there is one) and `index_of_first_image` (1 when
/// a grid leads `images`, else 0).
enum A1111Answer {
    /// The longest infotext kept. A cut one would lose its last line (the
    /// parameters), so a longer one is refused, not cut; prompts are far
    /// shorter (`JobField.maximumPromptBytes`).
    static let maximumInfotextBytes = 64 << 10

    /// The model a generation ran on, as `info` names it: `sd_model_name`
    /// (the checkpoint's file name without its extension) and
    /// `sd_model_hash` (the short hash a title ends with in brackets).
    struct ModelRan: Sendable, Equatable {
        var name: String
        var hash: String?

        /// Whether `requested` (a title "name.safetensors [hash]", a file
        /// name or a model name) is this model. A1111 runs an override it
        /// cannot find on the model it has loaded, saying nothing
        /// (processing.py drops the override), so a job is checked here.
        func matches(_ requested: String) -> Bool {
            var name = Substring(requested)
            if name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                let bracketed = name[name.index(after: open)..<name.index(before: name.endIndex)]
                if let hash { return bracketed == hash }
                name = name[..<open]
                while name.last == " " { name = name.dropLast() }
            }
            if name == self.name { return true }
            // A file name: A1111's model_name is its path without the
            // extension, with slashes as underscores.
            let stem = name.lastIndex(of: ".").map { name[..<$0] } ?? name
            return stem.replacing("/", with: "_").replacing("\\", with: "_") == self.name
        }
    }

    /// The images of a successful answer, each with its seed and infotext,
    /// and the model they were made on when `info` says.
    ///
    /// - Throws: `.protocolViolation` when the answer is not the documented
    ///   shape, an image is not a PNG, JPEG or WebP image, or there are
    ///   fewer seeds or infotexts than images.
    static func images(_ body: [UInt8], keys: [String]) throws(BackendFailure) -> (images: [GeneratedImage], model: ModelRan?) {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            throw .protocolViolation("the answer is not a JSON object: \(excerpt(String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self), keys: keys))")
        }
        guard let encoded = json["images"]?.arrayValue else { throw .protocolViolation("the answer has no \"images\" list") }
        guard let infoText = json["info"]?.stringValue, let info = try? JSONParser.parse(infoText), info.objectValue != nil else {
            throw .protocolViolation("the answer's \"info\" is not a JSON object in a string")
        }
        let first = info["index_of_first_image"]?.intValue ?? 0
        guard (0...encoded.count).contains(first) else {
            throw .protocolViolation("\"index_of_first_image\" is \(first), for \(encoded.count) images")
        }
        let made = encoded[first...]
        guard !made.isEmpty else { throw .protocolViolation("the answer holds no image") }
        guard let seeds = info["all_seeds"]?.arrayValue, let infotexts = info["infotexts"]?.arrayValue else {
            throw .protocolViolation("the answer's \"info\" has no \"all_seeds\" and \"infotexts\" lists")
        }
        guard seeds.count >= made.count, infotexts.count >= encoded.count else {
            throw .protocolViolation(
                "the answer has \(made.count) images but \(seeds.count) seeds and \(infotexts.count - first) infotexts"
            )
        }
        var images: [GeneratedImage] = []
        for (index, item) in made.enumerated() {
            let place = "image \(index + 1) of \(made.count)"
            guard let text = item.stringValue, let bytes = Base64.decode(text) else {
                throw .protocolViolation("\(place) is not a base64 string")
            }
            guard let image = FetchedImage(checking: bytes) else {
                throw .protocolViolation("\(place) is not a PNG, JPEG or WebP image: \(DownloadError.notAnImage(bytes))")
            }
            guard let seed = seeds[index].numberValue?.int64.flatMap({ Int(exactly: $0) }) else {
                throw .protocolViolation("the seed of \(place) is not a whole number: \(excerpt(seeds[index].description, keys: keys))")
            }
            guard let infotext = infotexts[first + index].stringValue else {
                throw .protocolViolation("the infotext of \(place) is not a string")
            }
            guard infotext.utf8.count <= maximumInfotextBytes else {
                throw .protocolViolation("the infotext of \(place) is \(infotext.utf8.count) bytes, over the \(maximumInfotextBytes) taken")
            }
            images.append(GeneratedImage(image, seed: seed, parameters: UpstreamText.scrubbed(infotext, keys: keys)))
        }
        let model = info["sd_model_name"]?.stringValue.map { ModelRan(name: $0, hash: info["sd_model_hash"]?.stringValue) }
        return (images, model)
    }

    /// Text from the server as a message of ours may quote it.
    static func excerpt(_ text: String, keys: [String]) -> String {
        UpstreamText.message(text, keys: keys, limit: UpstreamText.maximumExcerptBytes)
    }
}
