import Backends
import Jobs

/// An AUTOMATIC1111 server (or Forge, SD.Next, stable-diffusion.cpp's
/// `/sdapi`) as an `ImageBackend`: images in the answer, with the seed and
/// the infotext of each; names resolved against the server's lists.
package struct A1111Backend: ImageBackend {
    package let client: A1111Client

    package init(client: A1111Client) {
        self.client = client
    }

    package var description: BackendDescription {
        // The key is optional: only a server started with --api-auth asks for one.
        BackendDescription(
            kind: "a1111", rules: .a1111, imageToImage: true, reportsSeeds: true, delivery: .bytes, defaultConcurrency: 1, requiresKey: false
        )
    }

    /// Models by title, samplers and schedulers by name.
    package func catalog() async throws(BackendFailure) -> BackendCatalog {
        try await client.lists().names
    }

    package var catalogIsSettled: Bool { client.catalogIsSettled }

    package func invalidateCatalog() {
        client.invalidateCatalog()
    }

    /// The model matched by title or `model_name` and given as its title,
    /// the sampler by name or alias, the scheduler by name, label or alias,
    /// each in any case; the lists fetched again once when a name is not in
    /// them, in case the server has it now (a checkpoint just added).
    package func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest {
        guard request.model != nil || request.sampler != nil || request.scheduler != nil else { return request }
        do {
            return try await client.lists().resolving(request)
        } catch {
            guard case .invalid = error else { throw error }
            client.invalidateCatalog()
            return try await client.lists().resolving(request)
        }
    }

    package func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        .images(try await client.generate(request, key: key))
    }

    /// Never called: the images come in the answer (`delivery` `.bytes`).
    package func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        throw .redirectRefused("the a1111 backend sends its images in its answer and downloads none (asked for \(url))")
    }
}
