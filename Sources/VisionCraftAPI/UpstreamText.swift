/// Limits on text taken from an upstream (error messages, image URLs, model
/// and sampler names) before it is stored, logged or returned: a hostile or
/// broken service can put megabytes in any string, and each copy of it would
/// land in the job database, every `job.get` and `job.list` reply, events and
/// the log.
public enum UpstreamText {
    /// An error message (after the key is redacted).
    public static let maximumMessageBytes = 1024
    /// An image URL; a longer one is refused, not cut (a cut URL is wrong).
    public static let maximumURLBytes = 4096
    /// A model or sampler name.
    public static let maximumNameBytes = 256
    /// Bytes of a body read to find a message: the key is redacted in all of
    /// them before the message is cut, so no part of it survives the cut.
    static let scannedBodyBytes = 64 << 10

    /// `text`, or its first `limit` bytes (whole Unicode scalars) and how
    /// long it was.
    public static func capped(_ text: String, limit: Int = maximumMessageBytes) -> String {
        let length = text.utf8.count
        guard length > limit else { return text }
        var head = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > limit { break }
            head.append(scalar)
        }
        return String(head) + "... (\(length) bytes in all)"
    }
}
