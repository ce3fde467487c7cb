import Backends
import Base64Coding
import Jobs
import JSON

/// Reads what `/v1/images/generations` and `/v1/images/edits` answer:
/// `{created, data: [{b64_json | url, revised_prompt}], usage}`. GPT image
/// models and sd-server always send `b64_json`; other models, and LocalAI,
/// send `url` unless asked for `b64_json`.
enum OpenAIAnswer {
    /// The images of a successful answer: the images themselves when every
    /// entry holds one in base64 (each checked to be an image), the URLs
    /// to download when every entry names one; with the tokens its `usage`
    /// reports (`cost(of:)`).
    ///
    /// `revised_prompt` is not kept: `GeneratedImage.parameters` is
    /// AUTOMATIC1111's infotext format, which it is not, and the daemon
    /// writes the job's own parameters.
    ///
    /// - Throws: `.protocolViolation` when the answer is not the documented
    ///   shape, holds no image, mixes base64 and URLs, an image is not a
    ///   PNG, JPEG or WebP image, or a URL is not http(s), too long or
    ///   holds a key.
    static func outcome(_ body: [UInt8], route: String, keys: [String]) throws(BackendFailure) -> GenerationOutcome {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            throw .protocolViolation("\(route) did not answer a JSON object: \(excerpt(String(decoding: body.prefix(UpstreamText.scannedBodyBytes), as: UTF8.self), keys: keys))")
        }
        guard let data = json["data"]?.arrayValue else { throw .protocolViolation("\(route) answered no \"data\" list") }
        guard !data.isEmpty else { throw .protocolViolation("\(route) answered no image") }
        let cost = Self.cost(of: json)
        if data.allSatisfy({ $0["b64_json"]?.stringValue != nil }) {
            var images: [GeneratedImage] = []
            for (index, item) in data.enumerated() {
                let place = "image \(index + 1) of \(data.count)"
                guard let text = item["b64_json"]?.stringValue, let bytes = Base64.decode(text) else {
                    throw .protocolViolation("the \"b64_json\" of \(place) is not base64")
                }
                guard let image = FetchedImage(checking: bytes) else {
                    throw .protocolViolation("\(place) is not a PNG, JPEG or WebP image: \(DownloadError.notAnImage(bytes))")
                }
                images.append(GeneratedImage(image))
            }
            return .images(images, cost: cost)
        }
        var urls: [String] = []
        for (index, item) in data.enumerated() {
            let place = "image \(index + 1) of \(data.count)"
            guard let url = item["url"]?.stringValue else {
                throw .protocolViolation("\(place) has neither a \"b64_json\" nor a \"url\" string (or the answer mixes them)")
            }
            guard url.utf8.count <= UpstreamText.maximumURLBytes else {
                throw .protocolViolation("the URL of \(place) is \(url.utf8.count) bytes, over the \(UpstreamText.maximumURLBytes) taken")
            }
            guard UpstreamText.scrubbed(url, keys: keys) == url else { throw .protocolViolation("the URL of \(place) holds the API key; it is not kept") }
            let lowered = url.lowercased()
            guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else {
                throw .protocolViolation("the URL of \(place) is not http(s): \(excerpt(url, keys: keys))")
            }
            urls.append(url)
        }
        return .urls(urls, cost: cost)
    }

    /// The tokens an answer's `usage` reports (`{input_tokens,
    /// output_tokens, total_tokens, ...}`, sent for GPT image models);
    /// nothing for an answer without one (dall-e models, sd-server,
    /// LocalAI). A count that is not a whole number of 0 or more is left
    /// out rather than failing the images it came with.
    static func cost(of answer: JSON) -> GenerationCost {
        guard let usage = answer["usage"], usage.objectValue != nil else { return .unreported }
        func count(_ name: String) -> Int? { usage[name]?.intValue.flatMap { $0 >= 0 ? $0 : nil } }
        return GenerationCost(tokens: TokenCounts(reported: count("input_tokens"), output: count("output_tokens"), total: count("total_tokens")))
    }

    /// Text from the server as a message of ours may quote it.
    static func excerpt(_ text: String, keys: [String]) -> String {
        UpstreamText.message(text, keys: keys, limit: UpstreamText.maximumExcerptBytes)
    }
}
