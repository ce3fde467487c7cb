import Backends
import ComfyUIAPI
import Jobs
import Testing

/// ComfyUI's lists, names resolved against them, and A1111's sampler names.
@Suite struct ComfyUICatalogTests {
    @Test(arguments: [false, true]) func theCatalogIsReadFromObjectInfoInEitherComboForm(newer: Bool) async throws {
        let fake = try FakeComfyUI(.init(comboForm: newer))
        let catalog = try await ComfyUIBackend(client: try fake.client()).catalog()
        #expect(catalog.models == ["v1-5-pruned-emaonly.safetensors", "sdxl/juggernautXL.safetensors"])
        #expect(catalog.samplers == ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_sde", "ddim"])
        #expect(catalog.schedulers == ["normal", "karras", "exponential", "simple"])
    }

    @Test func namesResolveInAnyCaseAndA1111SamplersMapWithTheirScheduler() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        let resolved = try await backend.resolved(GenerationRequest(prompt: "p", model: "V1-5-PRUNED-EMAONLY.safetensors", sampler: "DPM++ 2M Karras"))
        #expect(resolved.model == "v1-5-pruned-emaonly.safetensors")
        #expect(resolved.sampler == "dpmpp_2m" && resolved.scheduler == "karras")
        let named = try await backend.resolved(GenerationRequest(prompt: "p", model: "sdxl/juggernautXL.safetensors", sampler: "Euler a", scheduler: "Exponential"))
        #expect(named.sampler == "euler_ancestral" && named.scheduler == "exponential", "a scheduler named wins over the one a name implies")
        let own = try await backend.resolved(GenerationRequest(prompt: "p", model: "sdxl/juggernautXL.safetensors", sampler: "DDIM"))
        #expect(own.sampler == "ddim" && own.scheduler == nil)
    }

    @Test func anUnknownNameIsRefusedWithADidYouMean() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        await #expect(throws: BackendFailure.self) { try await backend.resolved(GenerationRequest(prompt: "p", model: "v1-5-pruned-emaonly.safetensor")) }
        do {
            _ = try await backend.resolved(GenerationRequest(prompt: "p", model: "v1-5-pruned-emaonly.safetensors", sampler: "dpmpp_2n"))
            Issue.record("an unknown sampler was taken")
        } catch {
            guard case .invalid(let message, let field) = error else { Issue.record("\(error)"); return }
            #expect(field == "sampler" && message.contains("dpmpp_2m"))
        }
    }

    @Test func aRequestWithoutAModelIsRefusedNamingTheCheckpoints() async throws {
        let fake = try FakeComfyUI()
        let backend = ComfyUIBackend(client: try fake.client())
        do {
            _ = try await backend.resolved(GenerationRequest(prompt: "p"))
            Issue.record("a request without a model was taken")
        } catch {
            guard case .invalid(let message, let field) = error else { Issue.record("\(error)"); return }
            #expect(field == JobField.model.wireName && message.contains("v1-5-pruned-emaonly.safetensors") && message.contains("jobs.model"))
        }
    }

    @Test func theSamplerTableMapsA1111NamesAndLeavesComfyUIsOwn() {
        #expect(ComfyUISamplers.comfyName("Euler a")! == ("euler_ancestral", nil))
        #expect(ComfyUISamplers.comfyName("Euler")! == ("euler", nil))
        #expect(ComfyUISamplers.comfyName("DPM++ 2M")! == ("dpmpp_2m", nil))
        #expect(ComfyUISamplers.comfyName("DPM++ 2M Karras")! == ("dpmpp_2m", "karras"))
        #expect(ComfyUISamplers.comfyName("DPM++ SDE")! == ("dpmpp_sde", nil))
        #expect(ComfyUISamplers.comfyName("DDIM")! == ("ddim", nil))
        #expect(ComfyUISamplers.comfyName("dpmpp_2m_sde_gpu") == nil)
    }

    @Test func theRulesFollowKSamplersInputs() {
        let backend = ComfyUIBackend(client: ComfyUIClient(http: try! .init()))
        let description = backend.description
        #expect(description.kind == "comfyui" && description.delivery == .remoteJob && !description.requiresKey && description.reportsSeeds)
        #expect(description.rules.textToImageSteps == 1...10000 && description.rules.defaultModel == nil)
        #expect(description.rules.sideMultiple == 8 && description.rules.maximumSide == 2048 && description.rules.takesScheduler)
    }
}
