/// What is done to text taken from an upstream (error messages, image URLs,
/// model and sampler names) before it is stored, logged or returned: the key
/// scrubbed out, then the text capped. A service may echo what it was sent
/// (the key is in every generation's body), whole or in part, and a hostile
/// or broken one can put megabytes in any string; each copy would land in the
/// job database, every `job.get` and `job.list` reply, events and the log.
public enum UpstreamText {
    /// An error message (after the key is scrubbed).
    public static let maximumMessageBytes = 1024
    /// A short excerpt of upstream text quoted inside a message of ours.
    public static let maximumExcerptBytes = 200
    /// An image URL; a longer one is refused, not cut (a cut URL is wrong).
    public static let maximumURLBytes = 4096
    /// A model or sampler name.
    public static let maximumNameBytes = 256
    /// Bytes of a body read to find a message: the key is scrubbed from all
    /// of them before the message is cut, so no part of it survives the cut.
    package static let scannedBodyBytes = 64 << 10
    /// The shortest piece of a key that is scrubbed: an upstream that shows
    /// "sk-abc123..." or cuts its own echo still gives away that much.
    public static let scrubbedPieceBytes = 8
    /// Keys shorter than this are not looked for: they would match ordinary text.
    static let shortestScrubbedKeyBytes = 4
    /// What a scrubbed run of text becomes.
    static let scrubMark = "***"

    /// Upstream text as it may be kept: `keys` scrubbed (`scrubbed`), then
    /// cut to `limit` bytes (`capped`). Every text from an upstream goes
    /// through here, or through `scrubbed` first, before anything cuts it.
    public static func message(_ text: String, keys: [String], limit: Int = maximumMessageBytes) -> String {
        let length = text.utf8.count
        guard length > scannedBodyBytes, limit < scannedBodyBytes / 8 else { return capped(scrubbed(text, keys: keys), limit: limit) }
        // Only the start can reach the message: scrubbing turns 8 bytes or
        // more into 3, so what lies past `scannedBodyBytes` is cut anyway,
        // and a piece of a key cut at that edge with it.
        return capped(scrubbed(head(of: text, bytes: scannedBodyBytes), keys: keys), limit: limit, length: length)
    }

    /// `text` with every run that is a piece of one of `keys`, of at least
    /// `scrubbedPieceBytes` bytes, replaced by "***" (the whole key is such a
    /// piece; a key shorter than that is scrubbed where it occurs whole).
    ///
    /// Compared as UTF-8 bytes: every 8-byte window of the text that is also
    /// a window of a key is marked, and each maximal marked run is replaced,
    /// so overlapping and adjacent pieces go as one.
    public static func scrubbed(_ text: String, keys: [String]) -> String {
        let keyBytes = keys.map { Array($0.utf8) }.filter { $0.count >= shortestScrubbedKeyBytes }
        guard !keyBytes.isEmpty, !text.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var marked = [Bool](repeating: false, count: bytes.count)
        var found = false
        let piece = scrubbedPieceBytes
        var windows = Set<UInt64>()
        for key in keyBytes where key.count >= piece {
            var window: UInt64 = 0
            for (index, byte) in key.enumerated() {
                window = window << 8 | UInt64(byte)
                if index >= piece - 1 { windows.insert(window) }
            }
        }
        if !windows.isEmpty, bytes.count >= piece {
            var window: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                window = window << 8 | UInt64(byte)
                if index >= piece - 1, windows.contains(window) {
                    for covered in (index - piece + 1)...index { marked[covered] = true }
                    found = true
                }
            }
        }
        for key in keyBytes where key.count < piece && bytes.count >= key.count {
            for start in 0...(bytes.count - key.count) where bytes[start..<(start + key.count)].elementsEqual(key) {
                for covered in start..<(start + key.count) { marked[covered] = true }
                found = true
            }
        }
        guard found else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if marked[index] {
                result += scrubMark.utf8
                while index < bytes.count, marked[index] { index += 1 }
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `text`, or its first `limit` bytes (whole Unicode scalars) and how
    /// long it was.
    ///
    /// - Parameter length: the length of the text `text` begins, when it is
    ///   only the start of it.
    public static func capped(_ text: String, limit: Int = maximumMessageBytes, length: Int? = nil) -> String {
        let length = length ?? text.utf8.count
        guard length > limit else { return text }
        return head(of: text, bytes: limit) + "... (\(length) bytes in all)"
    }

    /// The first `bytes` bytes of `text`, in whole Unicode scalars.
    package static func head(of text: String, bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var head = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > limit { break }
            head.append(scalar)
        }
        return String(head)
    }
}
