/// One image a backend made, with what it said about it.
public struct GeneratedImage: Sendable, Equatable {
    public var image: FetchedImage
    /// The seed it used, when the backend says (`BackendDescription.reportsSeeds`).
    public var seed: Int?
    /// The backend's own parameters text for it, in AUTOMATIC1111's format
    /// (its "infotext": prompt lines, `Negative prompt:`, one line of
    /// `Key: value` pairs), when it writes one. The saved PNG carries it,
    /// with the job's own pairs added to its last line.
    public var parameters: String?

    public init(_ image: FetchedImage, seed: Int? = nil, parameters: String? = nil) {
        self.image = image
        self.seed = seed
        self.parameters = parameters
    }
}
