/// An image generation service, as the scheduler sees it: what it can do,
/// what it knows (models, samplers, schedulers), one generation call, and
/// downloads for services that answer with URLs. Every failure comes back
/// classified (`BackendFailure`, `DownloadError`), so that the scheduler
/// never reads a service's own errors. A new backend goes in a module of its
/// own that implements this protocol.
public protocol ImageBackend: Sendable {
    /// The kind of service and what it can do.
    var description: BackendDescription { get }

    /// The models, samplers and schedulers the service offers now (an empty
    /// list: not known, anything may be named). A backend keeps them for a
    /// while rather than asking on every call.
    func catalog() async throws(BackendFailure) -> BackendCatalog

    /// Whether `catalog()` (or a recent failure to get it) is at hand, so
    /// that `resolved` answers without asking the service.
    var catalogIsSettled: Bool { get }

    /// Forgets the kept catalog: the next `catalog()` asks the service.
    func invalidateCatalog()

    /// `request` checked against the service's rules and catalog, with its
    /// model, sampler and scheduler as the catalog spells them (any case is
    /// taken); an unknown name is `.invalid` naming the field, with a "did
    /// you mean". A local init image is named, not read, here.
    func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest

    /// One generation call: up to `description.rules.imagesPerRequest`
    /// images, with what the service reported the call cost
    /// (`GenerationCost`). A local init image comes read (`.inline`).
    func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome

    /// Waits for a remote job a `.remote` outcome named, and gives what it
    /// made, with what the service reported the job cost (or `.remote`
    /// again when it is not done yet).
    func follow(remote id: String, key: String?) async throws(BackendFailure) -> GenerationOutcome

    /// Downloads one image a `.urls` outcome named.
    func fetch(_ url: String) async throws(DownloadError) -> FetchedImage

    /// How far the generation running now is, for a backend whose
    /// description says it reports progress; nil when it cannot say now.
    func progress(key: String?) async -> GenerationProgress?
}

extension ImageBackend {
    /// For services that do not report progress.
    public func progress(key: String?) async -> GenerationProgress? { nil }

    /// For services that never answer with a remote job.
    public func follow(remote id: String, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        throw .protocolViolation("the \(description.kind) backend named a remote job (\(id)) but cannot follow one")
    }
}
