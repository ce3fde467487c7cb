import Jobs

/// What a backend is and what it can do, for the validator and the scheduler.
public struct BackendDescription: Sendable, Equatable {
    /// How a backend hands over its images.
    public enum ImageDelivery: Sendable, Equatable {
        /// In the answer itself.
        case bytes
        /// As URLs to download (`ImageBackend.fetch`).
        case urls
        /// As a remote job id to follow until it is done.
        case remoteJob
    }

    /// The service's kind, as configuration names it: "visioncraft".
    public var kind: String
    /// The job rules this service imposes (images per request, steps, sizes).
    public var rules: BackendRules
    /// Whether it takes an init image.
    public var imageToImage: Bool
    /// Whether it says which seed each image used.
    public var reportsSeeds: Bool
    public var delivery: ImageDelivery
    /// How many requests it is sent at once unless configured otherwise.
    public var defaultConcurrency: Int
    /// Whether it needs an API key to generate (jobs wait for one); a
    /// backend whose key is optional gets nil when none is set.
    public var requiresKey: Bool

    public init(
        kind: String, rules: BackendRules, imageToImage: Bool, reportsSeeds: Bool, delivery: ImageDelivery, defaultConcurrency: Int,
        requiresKey: Bool = true
    ) {
        self.kind = kind
        self.rules = rules
        self.imageToImage = imageToImage
        self.reportsSeeds = reportsSeeds
        self.delivery = delivery
        self.defaultConcurrency = defaultConcurrency
        self.requiresKey = requiresKey
    }
}
