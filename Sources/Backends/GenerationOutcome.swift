/// What one generation call gave, in the form `BackendDescription.delivery` says.
public enum GenerationOutcome: Sendable, Equatable {
    /// The images themselves, in order, each checked to be one, with what
    /// the backend said of each.
    case images([GeneratedImage])
    /// URLs to download with `ImageBackend.fetch`, in order.
    case urls([String])
    /// A job on the service to follow until it is done.
    case remote(id: String)
}
