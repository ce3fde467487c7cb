/// What one generation call gave, in the form `BackendDescription.delivery`
/// says, with what the backend reported it cost.
public enum GenerationOutcome: Sendable, Equatable {
    /// The images themselves, in order, each checked to be one, with what
    /// the backend said of each.
    case images([GeneratedImage], cost: GenerationCost = .unreported)
    /// URLs to download with `ImageBackend.fetch`, in order.
    case urls([String], cost: GenerationCost = .unreported)
    /// A job on the service to follow until it is done (its cost comes with
    /// the images `ImageBackend.follow` gives at the end).
    case remote(id: String)

    /// What the backend reported the call cost; nothing for a remote job
    /// not done yet.
    public var cost: GenerationCost {
        switch self {
        case .images(_, let cost), .urls(_, let cost): cost
        case .remote: .unreported
        }
    }
}
