/// An image generation service, as the scheduler sees it: what it can do,
/// what it knows (models, samplers, schedulers), one generation call, and
/// downloads for services that answer with URLs. Every failure comes back
/// classified (`BackendFailure`), so that the scheduler never reads a
/// service's own errors. A new backend goes in a module of its own that
/// implements this protocol.
public protocol ImageBackend: Sendable {
    /// The kind of service and what it can do.
    var description: BackendDescription { get }

    /// The models, samplers and schedulers the service offers now (an empty
    /// list: not known, anything may be named).
    func catalog() async throws(BackendFailure) -> BackendCatalog

    /// `request` checked against the catalog, with its model, sampler and
    /// scheduler as the catalog spells them (any case is taken); an unknown
    /// name is `.invalid` naming the field, with a "did you mean".
    func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest

    /// One generation call: up to `description.rules` images per request.
    func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome

    /// Downloads one image a `.urls` outcome named.
    func fetch(_ url: String) async throws(BackendFailure) -> [UInt8]
}
