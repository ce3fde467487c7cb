import Backends
import Jobs

/// A ComfyUI server as an `ImageBackend`: a request is queued as a graph
/// (`ComfyUIGraph`) and answered at once with its prompt id (`.remote`),
/// which the scheduler commits and then follows; `follow` downloads the
/// images itself and answers `.images`, each with the graph's seed, so
/// that a seed ComfyUI was given at random is still reported, and with the
/// execution time ComfyUI's history gives. While a prompt is followed, its
/// progress comes from ComfyUI's websocket (`ComfyUIEvents`); an https://
/// server reports none.
package struct ComfyUIBackend: ImageBackend {
    package let client: ComfyUIClient
    package let events: ComfyUIEvents

    package init(client: ComfyUIClient, events: ComfyUIEvents.Configuration = .init()) {
        self.client = client
        self.events = ComfyUIEvents(baseURL: client.configuration.baseURL, clientID: ComfyUIClient.clientID, configuration: events)
    }

    package var description: BackendDescription {
        // ComfyUI runs one prompt at a time from its own queue; the key is
        // unused (it has no authentication).
        var rules = BackendRules.comfyUI
        rules.runsWorkflow = client.configuration.workflow != nil
        return BackendDescription(
            kind: "comfyui", rules: rules, imageToImage: true, reportsSeeds: true, delivery: .remoteJob, defaultConcurrency: 1, requiresKey: false,
            reportsProgress: true
        )
    }

    package func catalog() async throws(BackendFailure) -> BackendCatalog {
        try await client.lists().names
    }

    package var catalogIsSettled: Bool { client.catalogIsSettled }

    package func invalidateCatalog() {
        client.invalidateCatalog()
    }

    /// The workflow checked (the job's or the backend's file read, and the
    /// job's fields written into it), then the model, sampler and scheduler
    /// as ComfyUI spells them (any case; A1111 sampler names mapped,
    /// `ComfyUISamplers`); the lists fetched again once when a name is not
    /// in them. A request without a model is refused when it runs the
    /// built-in graphs: ComfyUI has no default one.
    package func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest {
        // First, and without the server: a wrong file is refused even while ComfyUI is down.
        let workflow = try await client.check(request)
        let needsModel = workflow == nil
        do {
            return try await client.lists().resolving(request, needsModel: needsModel)
        } catch {
            guard case .invalid = error, request.model != nil else { throw error }
            client.invalidateCatalog()
            return try await client.lists().resolving(request, needsModel: needsModel)
        }
    }

    /// Queues the request: `.remote` with ComfyUI's prompt id.
    package func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        .remote(id: try await client.submit(request))
    }

    /// Polls for prompt `id` (`ComfyUIClient.follow`) while its events are read.
    package func follow(remote id: String, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        events.follow(id)
        defer { events.release(id) }
        return try await client.follow(id)
    }

    /// How far the followed prompt is, from ComfyUI's websocket; nil
    /// before its sampler's first step, when the socket is not open, or
    /// when several prompts are followed at once.
    package func progress(key: String?) async -> GenerationProgress? {
        events.progress()
    }

    /// A saved image by its `/view` URL (`follow` downloads its own).
    package func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        try await client.fetch(url)
    }
}
