/// Which jobs a listing wants, newest first: `job.list`'s params, and what
/// the store selects.
public struct JobQuery: Sendable, Equatable {
    public var state: JobState?
    public var label: String?
    /// Jobs whose prompt contains this text (case-insensitive for ASCII).
    public var text: String?
    /// Jobs whose prompt has all these words (full-text search: word
    /// prefixes, any case and accents).
    public var search: String?
    /// At most this many jobs (`limitRange`, default `defaultLimit`).
    public var limit: Int
    /// Only jobs older than this id (the `next` of the previous page).
    public var before: String?
    /// Each job as a listing line needs it (`job.list`'s `summary`): its id,
    /// state, image counts, creation time and prompt, not the whole job.
    /// Which jobs match does not depend on it.
    public var summary: Bool

    /// The most a page holds, and what a listing gets when it does not say.
    public static let limitRange = 1...1000
    public static let defaultLimit = 50

    public init(
        state: JobState? = nil, label: String? = nil, text: String? = nil, search: String? = nil, limit: Int = defaultLimit,
        before: String? = nil, summary: Bool = false
    ) {
        self.state = state
        self.label = label
        self.text = text
        self.search = search
        self.limit = limit
        self.before = before
        self.summary = summary
    }
}
