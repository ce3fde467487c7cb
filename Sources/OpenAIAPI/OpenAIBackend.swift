import Backends
import Jobs
import NameMatching

/// OpenAI's images API (and stable-diffusion.cpp's `sd-server`, LocalAI)
/// as an `ImageBackend`: images in the answer in base64 (or URLs, which the
/// scheduler downloads with `fetch`), no seeds; models resolved against
/// `GET /v1/models`.
package struct OpenAIBackend: ImageBackend {
    package let client: OpenAIClient

    package init(client: OpenAIClient) {
        self.client = client
    }

    /// The key is optional: OpenAI needs one, and refuses a request without
    /// it with a 401 (`.keyRefused`, which makes the lane wait for a key),
    /// but a local server takes none, and a key it does not need must not
    /// hold its jobs. Delivery is `.bytes`, what GPT image models and
    /// sd-server always answer and what other models are asked for; an
    /// answer of URLs comes as `.urls` all the same.
    package var description: BackendDescription {
        BackendDescription(
            kind: "openai", rules: .openAI, imageToImage: true, reportsSeeds: false, delivery: .bytes, defaultConcurrency: 1, requiresKey: false
        )
    }

    /// The model ids; the API names no samplers or schedulers.
    package func catalog() async throws(BackendFailure) -> BackendCatalog {
        BackendCatalog(models: try await client.models())
    }

    package var catalogIsSettled: Bool { client.catalogIsSettled }

    package func invalidateCatalog() {
        client.invalidateCatalog()
    }

    /// The model matched in any case against the model list and given as
    /// the list spells it (the list fetched again once when it is not in
    /// it, in case the server has it now); any model when the server lists
    /// none. A sampler is refused: the API takes none.
    package func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest {
        if let sampler = request.sampler {
            throw .invalid("the openai backend takes no sampler (the service picks its own; leave out '\(sampler)')", field: JobField.sampler.wireName)
        }
        guard let model = request.model else { return request }
        var resolved = request
        do {
            resolved.model = try Self.resolve(model, in: try await client.models())
        } catch {
            guard case .invalid = error else { throw error }
            client.invalidateCatalog()
            resolved.model = try Self.resolve(model, in: try await client.models())
        }
        return resolved
    }

    private static func resolve(_ typed: String, in models: [String]) throws(BackendFailure) -> String {
        guard !models.isEmpty else { return typed }
        let match = Suggestions.match(typed, in: models)
        if case .found(let name) = match { return name }
        throw .invalid(match.refusal(of: typed, kind: "model", listedBy: "vcctl models") ?? "", field: JobField.model.wireName)
    }

    package func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        try await client.generate(request, key: key)
    }

    package func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        try await client.fetch(url)
    }
}
