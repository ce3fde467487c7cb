import A1111API
import Backends
import Testing

/// The server's lists, and names resolved against them.
@Suite struct A1111CatalogTests {
    static let title = "v1-5-pruned-emaonly.safetensors [6ce0161689]"

    @Test func theCatalogIsTheTitlesAndNamesAskedOnceWithTheKey() async throws {
        let fake = try FakeA1111(.init(auth: "bob:hunter2-hunter2"))
        let backend = A1111Backend(client: try fake.client(catalogKey: "bob:hunter2-hunter2"))
        #expect(!backend.catalogIsSettled)
        let catalog = try await backend.catalog()
        #expect(catalog.models == [Self.title, "sdxl/juggernautXL.safetensors [d91d35736d]"])
        #expect(catalog.samplers == ["Euler a", "DPM++ 2M", "Euler"])
        #expect(catalog.schedulers == ["automatic", "karras", "exponential"])
        #expect(backend.catalogIsSettled)
        _ = try await backend.catalog()
        #expect(fake.requests(to: "/sdapi/v1/sd-models").count == 1, "kept")
        backend.invalidateCatalog()
        _ = try await backend.catalog()
        #expect(fake.requests(to: "/sdapi/v1/sd-models").count == 2)
    }

    @Test func aServerWithoutSchedulersHasNoneAndTakesAnyName() async throws {
        let fake = try FakeA1111(.init(schedulers: nil))
        let backend = A1111Backend(client: try fake.client())
        let catalog = try await backend.catalog()
        #expect(catalog.schedulers.isEmpty && catalog.models.count == 2, "a 404 on /schedulers is no failure")
        let resolved = try await backend.resolved(.init(prompt: "p", scheduler: "karras"))
        #expect(resolved.scheduler == "karras")
    }

    @Test func namesAreTakenInAnyCaseByModelNameAliasOrLabel() async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        let byTitle = try await backend.resolved(.init(prompt: "p", model: Self.title.uppercased(), sampler: "euler A", scheduler: "KARRAS"))
        #expect(byTitle.model == Self.title && byTitle.sampler == "Euler a" && byTitle.scheduler == "karras")
        let byName = try await backend.resolved(.init(prompt: "p", model: "SDXL/JuggernautXL", sampler: "k_dpmpp_2m", scheduler: "Exponential"))
        #expect(byName.model == "sdxl/juggernautXL.safetensors [d91d35736d]", "model_name gives the title")
        #expect(byName.sampler == "DPM++ 2M", "an alias gives the name: the server takes names only")
        #expect(byName.scheduler == "exponential", "a label gives the name")
        let untouched = GenerationRequest(prompt: "p", seed: 3)
        #expect(try await backend.resolved(untouched) == untouched)
    }

    @Test func anUnknownNameIsRefusedWithADidYouMeanAfterOneFreshLook() async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        _ = try await backend.catalog()
        let cases: [(GenerationRequest, String, String)] = [
            (.init(prompt: "p", model: "v1-5-pruned-emaonlx"), "model", "did you mean 'v1-5-pruned-emaonly.safetensors [6ce0161689]'?"),
            (.init(prompt: "p", sampler: "Eulr a"), "sampler", "did you mean 'Euler a'?"),
            (.init(prompt: "p", scheduler: "karas"), "scheduler", "did you mean 'karras'?"),
            (.init(prompt: "p", sampler: "LMS"), "sampler", "unknown sampler 'LMS'"),
        ]
        for (index, (request, field, message)) in cases.enumerated() {
            do {
                _ = try await backend.resolved(request)
                Issue.record("\(request) was taken")
            } catch {
                guard case .invalid(let text, let named) = error else { Issue.record("\(error)"); continue }
                #expect(named == field)
                #expect(text.contains(message), "\(text)")
            }
            #expect(fake.requests(to: "/sdapi/v1/sd-models").count == 2 + index, "the lists were asked again once")
        }
    }

    @Test func concurrentCallersShareOneFetchAndAFailureIsRememberedAWhile() async throws {
        let fake = try FakeA1111()
        let backend = A1111Backend(client: try fake.client())
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { try await backend.catalog().models.count } }
            for try await count in group { #expect(count == 2) }
        }
        #expect(fake.requests(to: "/sdapi/v1/sd-models").count == 1)
        fake.override { _ in .response(.json(["detail": "loading"], status: .serviceUnavailable)) }
        backend.invalidateCatalog()
        for _ in 0..<3 {
            await #expect(throws: BackendFailure.transient("HTTP 503: loading", retryAfter: nil)) { _ = try await backend.catalog() }
        }
        #expect(backend.catalogIsSettled, "the failure is at hand: resolving does not wait on the server")
        #expect(fake.requests(to: "/sdapi/v1/sd-models").count == 2, "asked once for the three calls")
    }

    @Test func namesThatDifferOnlyInCaseAreNotGuessedBetween() async throws {
        let fake = try FakeA1111(.init(models: [("Dreamshaper [1]", "dreamshaper"), ("DreamShaper [1]", "DreamShaper")]))
        let backend = A1111Backend(client: try fake.client())
        #expect(try await backend.resolved(.init(prompt: "p", model: "DreamShaper")).model == "DreamShaper [1]", "as spelt")
        await #expect(throws: BackendFailure.self) { _ = try await backend.resolved(.init(prompt: "p", model: "dreamshaper [1]")) }
    }
}
