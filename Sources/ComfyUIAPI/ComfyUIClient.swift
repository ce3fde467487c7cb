import Backends
import HTTPClient
import Jobs
import JSON
import Posix

/// ComfyUI's server routes (`server.py`): the node lists
/// (`/object_info/<class>`), `POST /upload/image`, `POST /prompt`,
/// `/history/{prompt_id}`, `/queue` and `/view`. ComfyUI has no
/// authentication, so no key is sent; its queue and history live in
/// memory, so a prompt it no longer knows of is lost (`remoteLost`).
package final class ComfyUIClient: Sendable {
    package struct Configuration: Sendable {
        /// Where ComfyUI listens unless told otherwise (`--port 8188`).
        package static let defaultBaseURL = "http://127.0.0.1:8188"

        package var baseURL: String
        /// For every call: each answers at once (the prompt runs queued).
        package var timeouts: HTTPClientRequest.Timeouts
        /// How often `follow` asks `/history` while a prompt runs, at most:
        /// it asks after 10 ms first, then twice as long each time up to
        /// this, so that a quick prompt is seen done at once and a long one
        /// costs ComfyUI two asks a second.
        package var pollInterval: Duration
        /// How long one `follow` waits before answering `.remote` again,
        /// so that the scheduler's loop keeps its turn.
        package var followWindow: Duration
        /// How long the lists are trusted.
        package var catalogLifetime: Duration
        /// The largest image downloaded.
        package var maximumImageBytes: Int
        /// The workflow file (an absolute path) jobs that name none run;
        /// nil: the built-in graphs. Read for each job, as a job's own is.
        package var workflow: String?

        package init(
            baseURL: String = Configuration.defaultBaseURL, timeouts: HTTPClientRequest.Timeouts = .init(), pollInterval: Duration = .milliseconds(500),
            followWindow: Duration = .seconds(60), catalogLifetime: Duration = .seconds(300), maximumImageBytes: Int = 64 << 20, workflow: String? = nil
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeouts = timeouts
            self.pollInterval = pollInterval
            self.followWindow = followWindow
            self.catalogLifetime = catalogLifetime
            self.maximumImageBytes = maximumImageBytes
            self.workflow = workflow
        }
    }

    package let configuration: Configuration
    let httpClient: HTTPClient
    /// Reads a local init image that comes named rather than read.
    package let initImages: InitImageReader
    private let catalog: CatalogCache<ComfyUICatalog, BackendFailure>
    /// What `client_id` says: ComfyUI sends a prompt's events to the
    /// websocket of that id (`ComfyUIEvents` reads them for progress;
    /// `follow` polls), and it marks ours in `/queue` and `/history`.
    package static let clientID = "visioncraft"

    /// The first wait of `follow` between asks of `/history`.
    static let firstPoll: Duration = .milliseconds(10)

    /// How long a failed list fetch is remembered before the next try.
    package static let catalogRetryDelay: Duration = .seconds(15)

    package init(configuration: Configuration = Configuration(), http: HTTPClient, initImages: InitImageReader = InitImageReader()) {
        self.configuration = configuration
        httpClient = http
        self.initImages = initImages
        catalog = CatalogCache(lifetime: configuration.catalogLifetime, retryDelay: Self.catalogRetryDelay)
    }

    // MARK: Lists

    /// The checkpoints, samplers and schedulers (cached for `catalogLifetime`).
    package func lists() async throws(BackendFailure) -> ComfyUICatalog {
        try await catalog.value(fetch: { [self] () throws(BackendFailure) in try await fetchLists() }, unexpected: { .transient("\($0)", retryAfter: nil) })
    }

    package func invalidateCatalog() {
        catalog.invalidate()
    }

    package var catalogIsSettled: Bool { catalog.isSettled }

    private func fetchLists() async throws(BackendFailure) -> ComfyUICatalog {
        let checkpoints = try json(try await send(HTTPClientRequest(url: url("/object_info/CheckpointLoaderSimple"), timeouts: configuration.timeouts)))
        let sampler = try json(try await send(HTTPClientRequest(url: url("/object_info/KSampler"), timeouts: configuration.timeouts)))
        return ComfyUICatalog(
            models: try ComfyUICatalog.combo(checkpoints, node: "CheckpointLoaderSimple", input: "ckpt_name", keys: []),
            samplers: try ComfyUICatalog.combo(sampler, node: "KSampler", input: "sampler_name", keys: []),
            schedulers: try ComfyUICatalog.combo(sampler, node: "KSampler", input: "scheduler", keys: [])
        )
    }

    // MARK: Workflows

    /// The workflow `request` runs: its own file, else the backend's; nil
    /// for the built-in graphs.
    ///
    /// - Throws: `.invalid` naming `workflow` when the file cannot be read
    ///   or is not a workflow; `.transient` when it cannot be read now.
    package func workflow(for request: GenerationRequest) async throws(BackendFailure) -> ComfyUIWorkflow? {
        guard let path = request.workflow ?? configuration.workflow else { return nil }
        let field = JobField.workflow.wireName
        let bytes: [UInt8]
        do {
            bytes = try await initImages.readFile(path, maximumBytes: ComfyUIWorkflow.maximumBytes, field: field)
        } catch let problem as ParameterProblem {
            throw .invalid("workflow \(problem.message)", field: field)
        } catch {
            throw .transient("workflow: \(error)", retryAfter: nil)
        }
        do {
            return try ComfyUIWorkflow(parsing: bytes, source: path)
        } catch {
            throw Self.refusal(error, backendsOwn: request.workflow == nil)
        }
    }

    /// The check at submit: the workflow read and the job's fields written
    /// into it (an init image as if uploaded); the workflow, nil for the
    /// built-in graphs.
    func check(_ request: GenerationRequest) async throws(BackendFailure) -> ComfyUIWorkflow? {
        guard let workflow = try await workflow(for: request) else { return nil }
        do {
            _ = try workflow.graph(for: request, seed: 0, uploadedImage: request.initImage == nil ? nil : "init.png")
        } catch {
            throw Self.refusal(error, backendsOwn: request.workflow == nil)
        }
        return workflow
    }

    /// A workflow's problem as the job's: the backend's own file is the
    /// configuration's to fix.
    private static func refusal(_ problem: ComfyUIWorkflowProblem, backendsOwn: Bool) -> BackendFailure {
        .invalid(problem.description + (backendsOwn ? " (the backend's workflow, in the configuration file; or give the job its own)" : ""), field: JobField.workflow.wireName)
    }

    // MARK: Submitting

    /// Queues the graph for `request` (`POST /prompt`), after uploading its
    /// init image: the prompt's id, at once.
    ///
    /// - Throws: `.invalid` naming `model` when the request runs the
    ///   built-in graphs and names none, or `workflow` when its workflow
    ///   cannot take the job.
    package func submit(_ request: GenerationRequest) async throws(BackendFailure) -> String {
        let workflow = try await workflow(for: request)
        if workflow == nil, request.model == nil { throw try await noModel() }
        let uploaded: String?
        switch request.initImage {
        case nil: uploaded = nil
        case .inline(let image): uploaded = try await upload(image)
        case .file(let path): uploaded = try await upload(try await read(path))
        // ComfyUI's LoadImage takes only files of its input folder.
        case .url(let address): uploaded = try await upload(try await download(address))
        }
        let graph: JSON
        do {
            let seed = request.seed ?? ComfyUIGraph.randomSeed()
            graph = try (workflow ?? ComfyUIGraph.builtIn(imageToImage: uploaded != nil)).graph(for: request, seed: seed, uploadedImage: uploaded)
        } catch {
            throw Self.refusal(error, backendsOwn: request.workflow == nil && workflow != nil)
        }
        let body: JSON = ["prompt": graph, "client_id": .string(Self.clientID)]
        let response = try await send(HTTPClientRequest(
            method: "POST", url: url("/prompt"), headers: [("Content-Type", "application/json")], body: JSONSerializer.serialize(body),
            timeouts: configuration.timeouts
        ))
        guard let id = try json(response)["prompt_id"]?.stringValue, !id.isEmpty else {
            throw .protocolViolation("POST /prompt answered no \"prompt_id\" string")
        }
        return id
    }

    private func noModel() async throws(BackendFailure) -> BackendFailure {
        do throws(BackendFailure) {
            _ = try (try await lists()).resolving(GenerationRequest(prompt: ""))
        } catch {
            return error
        }
        return .invalid("a comfyui backend needs a model named", field: JobField.model.wireName)
    }

    /// `POST /upload/image` (multipart: `image`, `type` input, `overwrite`):
    /// the name LoadImage takes, `subfolder/name` when ComfyUI put it in one.
    private func upload(_ image: FetchedImage) async throws(BackendFailure) -> String {
        var form = MultipartForm()
        form.append("image", file: image.bytes, filename: "\(MultipartForm.randomBoundary()).\(image.format.fileExtension)", contentType: image.format.mimeType)
        form.append("type", "input")
        form.append("overwrite", "true")
        let response = try await send(HTTPClientRequest(
            method: "POST", url: url("/upload/image"), headers: [("Content-Type", form.contentType)], body: form.closed,
            timeouts: configuration.timeouts
        ))
        let answer = try json(response)
        guard let name = answer["name"]?.stringValue, !name.isEmpty else { throw .protocolViolation("POST /upload/image answered no \"name\"") }
        let subfolder = answer["subfolder"]?.stringValue ?? ""
        return subfolder.isEmpty ? name : "\(subfolder)/\(name)"
    }

    private func read(_ path: String) async throws(BackendFailure) -> FetchedImage {
        do {
            return try await initImages.read(path)
        } catch let problem as ParameterProblem {
            throw .invalid(problem.message, field: problem.field)
        } catch {
            throw .transient("\(error)", retryAfter: nil)
        }
    }

    private func download(_ address: String) async throws(BackendFailure) -> FetchedImage {
        do {
            return try await httpClient.downloadImage(address, timeouts: configuration.timeouts, maximumBytes: configuration.maximumImageBytes, scrubbing: [])
        } catch {
            if case .transient(let message) = error { throw .transient("init image \(address): \(message)", retryAfter: nil) }
            throw .invalid("init image \(address): \(error)", field: JobField.initImage.wireName)
        }
    }

    // MARK: Following

    /// Waits for prompt `id` (polling `/history`, and `/queue` to tell a
    /// prompt still waiting from a lost one) for up to `followWindow`: its
    /// images downloaded (`/view`), each with the graph's seed, and the
    /// execution time its history reports, or `.remote(id)` again when it
    /// is not done yet.
    ///
    /// - Throws: `.remoteLost` when ComfyUI has it in neither;
    ///   `.permanent` with the node and exception when its execution failed.
    package func follow(_ id: String) async throws(BackendFailure) -> GenerationOutcome {
        let started = MonotonicInstant.now()
        var wait = min(Self.firstPoll, configuration.pollInterval)
        // An answer already at hand: the history asked again after the queue.
        var known: ComfyUIHistory?
        while true {
            let now: ComfyUIHistory
            if let known { now = known } else { now = try await history(id) }
            known = nil
            switch now {
            case .done(let outputs, let seed, let took):
                var images: [GeneratedImage] = []
                for output in outputs { images.append(GeneratedImage(try await view(output), seed: seed)) }
                return .images(images, cost: GenerationCost(duration: took))
            case .failed(let message):
                throw .permanent("ComfyUI failed the prompt \(id): \(message)")
            case .absent:
                let queue = try await send(HTTPClientRequest(url: url("/queue"), timeouts: configuration.timeouts))
                if try !ComfyUIHistory.queued(queue.body, id: id) {
                    // It may have finished between the two answers.
                    let again = try await history(id)
                    if case .absent = again {
                        throw .remoteLost("ComfyUI has the prompt \(id) in neither its queue nor its history (was it restarted?)")
                    }
                    known = again
                    continue
                }
            }
            guard started.elapsed < configuration.followWindow else { return .remote(id: id) }
            do {
                try await Task.sleep(for: wait)
                wait = min(wait * 2, configuration.pollInterval)
            } catch {
                throw .transient("stopped waiting for the prompt \(id)", retryAfter: nil)
            }
        }
    }

    private func history(_ id: String) async throws(BackendFailure) -> ComfyUIHistory {
        let response = try await send(HTTPClientRequest(url: url("/history/\(Self.percentEncoded(id))"), timeouts: configuration.timeouts))
        return try ComfyUIHistory.read(response.body, id: id)
    }

    /// `GET /view?filename=&subfolder=&type=`: one saved image.
    private func view(_ output: ComfyUIHistory.Output) async throws(BackendFailure) -> FetchedImage {
        do {
            return try await fetch(viewURL(output))
        } catch {
            switch error {
            case .transient(let message): throw .transient("GET /view \(output.filename): \(message)", retryAfter: nil)
            default: throw .protocolViolation("GET /view \(output.filename): \(error)")
            }
        }
    }

    package func viewURL(_ output: ComfyUIHistory.Output) -> String {
        url("/view?filename=\(Self.percentEncoded(output.filename))&subfolder=\(Self.percentEncoded(output.subfolder))&type=\(Self.percentEncoded(output.type))")
    }

    package func fetch(_ address: String) async throws(DownloadError) -> FetchedImage {
        try await httpClient.downloadImage(address, timeouts: configuration.timeouts, maximumBytes: configuration.maximumImageBytes, scrubbing: [])
    }

    // MARK: Sending

    private func url(_ path: String) -> String { configuration.baseURL + path }

    /// `text` for a URL's path or query: every byte but the unreserved ones escaped.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return encoded
    }

    private func json(_ response: HTTPClientResponse) throws(BackendFailure) -> JSON {
        guard let json = try? JSONParser.parse(response.body), json.objectValue != nil else {
            throw .protocolViolation("ComfyUI did not answer a JSON object: \(ComfyUIFailures.excerpt(response.body))")
        }
        return json
    }

    /// Sends `request`; an answer outside 2xx, or a failed transfer, is thrown classified.
    private func send(_ request: HTTPClientRequest) async throws(BackendFailure) -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.perform(request)
        } catch {
            throw ComfyUIFailures.transport(error, keys: [])
        }
        guard (200..<300).contains(response.status) else {
            let failure = ComfyUIFailures.classify(status: response.status, body: response.body, keys: [])
            if case .invalid(_, let field?) = failure, ["model", "sampler", "scheduler"].contains(field) { invalidateCatalog() }
            throw failure
        }
        return response
    }
}
