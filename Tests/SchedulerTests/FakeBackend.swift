import Backends
import Jobs
import Posix
import Scheduler

/// A backend in memory, for the scheduler's tests: each generation call is
/// answered by `answer` (given the request and how many calls came before
/// it), a remote job by `follow`, a URL by `downloads`; every call is
/// recorded.
final class FakeBackend: ImageBackend {
    typealias Answer = @Sendable (GenerationRequest, Int) async throws(BackendFailure) -> GenerationOutcome

    let description: BackendDescription
    private let answer: Answer
    private let followAnswer: @Sendable (String) async throws(BackendFailure) -> GenerationOutcome
    private let downloads: [String: [UInt8]]
    private let progressAnswer: @Sendable () -> GenerationProgress?
    private let progressCalls = Lock(0)
    private let calls = Lock<[GenerationRequest]>([])
    private let keysSent = Lock<[String?]>([])
    private let fetches = Lock<[String]>([])

    init(
        kind: String = "fake", requiresKey: Bool = true, reportsProgress: Bool = false, progress: @escaping @Sendable () -> GenerationProgress? = { nil },
        delivery: BackendDescription.ImageDelivery = .bytes, downloads: [String: [UInt8]] = [:],
        follow: @escaping @Sendable (String) async throws(BackendFailure) -> GenerationOutcome = { id throws(BackendFailure) in
            throw .protocolViolation("no remote job \(id)")
        },
        answer: @escaping Answer
    ) {
        description = BackendDescription(
            kind: kind, rules: .visionCraft, imageToImage: true, reportsSeeds: false, delivery: delivery, defaultConcurrency: 1,
            requiresKey: requiresKey, reportsProgress: reportsProgress
        )
        progressAnswer = progress
        self.answer = answer
        followAnswer = follow
        self.downloads = downloads
    }

    /// The generation calls made so far, in order.
    var requests: [GenerationRequest] { calls.withLock { $0 } }
    /// The key each generation call was given, in order.
    var keys: [String?] { keysSent.withLock { $0 } }
    /// How many times progress was asked for.
    var progressAsked: Int { progressCalls.withLock { $0 } }
    /// The URLs fetched so far, in order.
    var fetched: [String] { fetches.withLock { $0 } }

    func catalog() async throws(BackendFailure) -> BackendCatalog { BackendCatalog() }

    var catalogIsSettled: Bool { true }

    func invalidateCatalog() {}

    func resolved(_ request: GenerationRequest) async throws(BackendFailure) -> GenerationRequest { request }

    func generate(_ request: GenerationRequest, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        keysSent.withLock { $0.append(key) }
        let before = calls.withLock { calls in
            calls.append(request)
            return calls.count - 1
        }
        return try await answer(request, before)
    }

    func follow(remote id: String, key: String?) async throws(BackendFailure) -> GenerationOutcome {
        try await followAnswer(id)
    }

    func progress(key: String?) async -> GenerationProgress? {
        progressCalls.withLock { $0 += 1 }
        return progressAnswer()
    }

    func fetch(_ url: String) async throws(DownloadError) -> FetchedImage {
        fetches.withLock { $0.append(url) }
        guard let bytes = downloads[url] else { throw .gone(status: 404) }
        guard let image = FetchedImage(checking: bytes) else { throw .notAnImage(bytes) }
        return image
    }
}

/// A key that is always there and never refused.
struct FixedKey: APIKeySource {
    func usableKey(for backend: String) -> String? { "k" }
    func reject(_ key: String, reason: String, for backend: String) {}
    func hasRefusedKey(for backend: String) -> Bool { false }
}

/// No key at all.
struct NoKey: APIKeySource {
    func usableKey(for backend: String) -> String? { nil }
    func reject(_ key: String, reason: String, for backend: String) {}
    func hasRefusedKey(for backend: String) -> Bool { false }
}

/// A key for some backends only.
struct BackendKeys: APIKeySource {
    let keys: [String: String]
    func usableKey(for backend: String) -> String? { keys[backend] }
    func reject(_ key: String, reason: String, for backend: String) {}
    func hasRefusedKey(for backend: String) -> Bool { false }
}

/// One key, which a refusal takes away (as the daemon's vault does).
final class RefusableKey: APIKeySource {
    private let state = Lock<(key: String?, reason: String?)>(("k", nil))

    func usableKey(for backend: String) -> String? { state.withLock { $0.reason == nil ? $0.key : nil } }

    func reject(_ key: String, reason: String, for backend: String) {
        state.withLock { $0.reason = reason }
    }

    func hasRefusedKey(for backend: String) -> Bool { reason != nil }

    /// Why the key was refused, if it was.
    var reason: String? { state.withLock { $0.reason } }
}
